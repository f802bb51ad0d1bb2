/**
 * `netdicom echoscu ADDR PORT [--repeat N]`: C-ECHO (PS3.7 §9.1.5) against a peer, like DCMTK's
 * echoscu. Exit 0 when every echo returned Success.
 */
import { formatNegotiation } from '../../src/acse/explain';
import { ApplicationEntity } from '../../src/ae';
import { SopClass } from '../../src/uids/sop-classes';
import {
  COMMON_OPTIONS, SCU_OPTIONS, commonSettings, dialFor, formatHelp, intOption, parseArgv, parsePort, positionals, type OptionSpec,
} from './args';
import { ExitCode, describeFailure, type AppIo } from './io';

const OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  ...SCU_OPTIONS,
  { name: '--repeat', value: 'N', help: 'send N C-ECHO requests on the association (default 1)' },
];

/** The help text of echoscu. */
export const ECHOSCU_HELP = formatHelp(
  'netdicom echoscu [options] ADDR PORT',
  'Verification SCU: opens an association, sends C-ECHO, releases.',
  OPTIONS,
);

/** Runs echoscu; resolves with the exit code (never throws). */
export async function echoscu(argv: readonly string[], io: AppIo): Promise<number> {
  try {
    const args = parseArgv(argv, OPTIONS);
    if (args.switches.has('--help')) {
      io.out(ECHOSCU_HELP);
      return ExitCode.ok;
    }
    const [host, portText] = positionals(args, ['ADDR', 'PORT']);
    const port = parsePort(portText);
    const repeat = intOption(args, '--repeat', 1, 1, 1_000_000);
    const settings = commonSettings(args, 'ECHOSCU');
    const ae = new ApplicationEntity(settings.ae).addRequestedContext(SopClass.Verification);
    const transport = await dialFor(settings, host!, port);
    const association = await ae.associate(transport, { calledAeTitle: settings.calledAeTitle });
    if (settings.debug) io.err(formatNegotiation(association.explain()));
    let failures = 0;
    try {
      for (let i = 0; i < repeat; i++) {
        const started = performance.now();
        const rsp = await association.cEcho();
        const ms = (performance.now() - started).toFixed(1);
        if (rsp.status !== 0) failures++;
        if (!settings.quiet) io.out(`C-ECHO ${i + 1}/${repeat} to ${settings.calledAeTitle}@${host}:${port}: status 0x${rsp.status.toString(16).padStart(4, '0')} (${ms} ms)`);
      }
    } catch (error) {
      association.abort().catch(() => {});
      throw error;
    }
    await association.release();
    if (failures > 0) {
      io.err(`echoscu: ${failures} of ${repeat} C-ECHO requests did not return Success`);
      return ExitCode.failed;
    }
    return ExitCode.ok;
  } catch (error) {
    const { line, code } = describeFailure(error);
    io.err(`echoscu: ${line}`);
    return code;
  }
}
