/**
 * `rnn-lab`: the engine from a terminal. Exit codes: 0 ok, 1 bad input data or a failed run,
 * 2 a malformed command line. Errors are one line on stderr.
 */
import { benchCommand } from './bench';
import { isUserInputError } from '../engine/text/errors';
import { renderErrorMessage } from '../engine/config/render';
import { UsageError } from './args';
import { decodeCommand, decodeUsage } from './decode';
import { exportCommand, exportUsage } from './export';
import { probsCommand, probsUsage, sampleCommand, sampleUsage } from './sample';
import { seriesCommand, seriesSummary } from './series';
import { presetsCommand, presetsUsage, trainCommand, trainSummary } from './train';
import { summaryCommand, summaryUsage } from './summary';
import { labCommand, labUsage } from './lab';

const usage = `rnn-lab: train recurrent language models on text

${trainSummary}

${presetsUsage}

${sampleUsage}

${probsUsage}

${decodeUsage}

${exportUsage}

${summaryUsage}

${labUsage}

${seriesSummary}

rnn-lab bench [options]   measure training speed of the backends (see rnn-lab bench --help)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train': return await trainCommand(rest);
      case 'presets': return presetsCommand(rest);
      case 'sample': return await sampleCommand(rest);
      case 'probs': return await probsCommand(rest);
      case 'decode': return await decodeCommand(rest);
      case 'export': return await exportCommand(rest);
      case 'summary': return await summaryCommand(rest);
      case 'lab': return await labCommand(rest);
      case 'bench': return await benchCommand(rest);
      case 'series': return await seriesCommand(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        process.stdout.write(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; try rnn-lab --help`);
    }
  } catch (error) {
    // Errors are one line, whatever the message looked like.
    const line = (message: string) => process.stderr.write(`rnn-lab: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
    if (error instanceof UsageError) {
      line(error.message);
      return 2;
    }
    if (isUserInputError(error)) {
      line(renderErrorMessage(error, 'cli'));
      return 1;
    }
    line(`internal error: ${(error as Error).message ?? String(error)}`);
    if (process.env.RNN_LAB_DEBUG) process.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
