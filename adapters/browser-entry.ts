/**
 * Entry of the IIFE browser bundle (dist/netdicom.iife.js, global `netdicom`):
 * the public core plus the transports that work in a browser.
 */
import './browser-polyfill'; // must stay first: streams before any core module runs
export * from '../src/entry';
export * from './memory/index';
export * from './websocket/index';
