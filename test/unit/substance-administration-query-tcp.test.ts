/**
 * The substance administration query scenarios of substance-administration-query.test.ts again, over TCP on
 * 127.0.0.1: n-tcp-mode switches every pair() of this file's module graph to a real socket.
 */
import './n-tcp-mode'; // first: the scenarios below run over TCP
import './substance-administration-query.test';
