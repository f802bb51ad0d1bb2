/**
 * The print scenarios over TCP on 127.0.0.1 (issue 6): Print Job with its N-EVENT-REPORTs on the
 * printing association, printer events to every association using the printer, Printer
 * Configuration Retrieval, Presentation LUT, annotation boxes and the PS3.4 H statuses, each
 * rerun with every pair() over a real socket (n-helpers tcpLink).
 */
import './n-tcp-mode'; // first: the imported scenarios below run over TCP
import './print-job.test';
import './print-printer.test';
import './print-lut.test';
import './print-annotation.test';
import './print-status.test';
