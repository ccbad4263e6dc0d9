export { createOptimizer, Sgd, Momentum, RmsProp, Adam, Adagrad, Adadelta, type Optimizer, type OptimizerName } from './optimizers';
export { clipGlobalNorm, globalNorm } from './clip';
