export { createOptimizer, Sgd, Momentum, RmsProp, Adam, Adagrad, Adadelta, type Optimizer, type OptimizerName, type OptimizerState } from './optimizers';
export { clipGlobalNorm, clipByValue, globalNorm } from './clip';
