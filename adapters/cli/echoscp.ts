/**
 * `netdicom echoscp PORT`: a Verification SCP (answers C-ECHO with Success) that runs until
 * SIGINT/SIGTERM. Prints `listening on ADDR` first, so scripts and tests can use PORT 0.
 */
import { ApplicationEntity } from '../../src/ae';
import { printable } from '../../src/bytes/text';
import { describeReject } from '../../src/pdu/constants';
import { SopClass } from '../../src/uids/sop-classes';
import { COMMON_OPTIONS, commonSettings, formatHelp, intOption, listenFor, optionValue, parseArgv, parsePort, positionals, type OptionSpec } from './args';
import { ExitCode, describeFailure, type AppIo, signalled } from './io';

const OPTIONS: readonly OptionSpec[] = [
  ...COMMON_OPTIONS,
  { name: '--bind', value: 'HOST', help: 'address to listen on (default 127.0.0.1; :: or 0.0.0.0 for every interface)' },
  { name: '--require-called-aet', help: 'reject associations whose called AE title is not ours (-aet), reason 7' },
  { name: '--allow-calling-aet', value: 'AET', help: 'accept only this calling AE title (repeatable), else reject with reason 3' },
  { name: '--max-associations', value: 'N', help: 'concurrent associations, at least 1; more are rejected (local limit exceeded; default 100)' },
];

/** The help text of echoscp. */
export const ECHOSCP_HELP = formatHelp(
  'netdicom echoscp [options] PORT',
  'Verification SCP: accepts associations and answers C-ECHO with Success until interrupted.',
  OPTIONS,
);

/** Runs echoscp until `stop` resolves (default: SIGINT/SIGTERM); resolves with the exit code. */
export async function echoscp(argv: readonly string[], io: AppIo, stop?: Promise<void>): Promise<number> {
  try {
    const args = parseArgv(argv, OPTIONS);
    if (args.switches.has('--help')) {
      io.out(ECHOSCP_HELP);
      return ExitCode.ok;
    }
    const [portText] = positionals(args, ['PORT']);
    const port = parsePort(portText, true);
    const settings = commonSettings(args, 'ECHOSCP');
    // A usage error, not NaN (no limit) or 0 (every connection dropped).
    const maxAssociations = intOption(args, '--max-associations', 100, 1);
    const ae = new ApplicationEntity(settings.ae).addSupportedContext(SopClass.Verification);
    const listener = await listenFor(settings, optionValue(args, '--bind') ?? '127.0.0.1', port);
    const say = (line: string) => settings.quiet || io.out(line);
    const server = ae.serve(
      listener,
      {
        accepted: (a) => say(`association from ${a.request.callingAeTitle.trim()} (${a.remoteAddress ?? '?'}) accepted`),
        rejected: (rq, rj) => say(`association from ${printable(rq.callingAeTitle.trim())} rejected: ${describeReject(rj.result, rj.source, rj.reason)}`),
        released: (a) => say(`association from ${a.request.callingAeTitle.trim()} released`),
        aborted: (a, e) => say(`association from ${a.request.callingAeTitle.trim()} aborted${e ? `: ${e.message}` : ''}`),
      },
      {
        maxAssociations,
        requireCalledAeTitle: args.switches.has('--require-called-aet'),
        ...(args.values.has('--allow-calling-aet') && { allowedCallingAeTitles: args.values.get('--allow-calling-aet') }),
      },
    );
    // Listening for SIGINT/SIGTERM before saying so: a signal sent on that line must not kill us outright.
    const stopped = stop ?? signalled();
    io.out(`listening on ${listener.address}`);
    await stopped;
    await server.close({ force: true });
    return ExitCode.ok;
  } catch (error) {
    const { line, code } = describeFailure(error);
    io.err(`echoscp: ${line}`);
    return code;
  }
}
