/**
 * Tests import src/ modules directly rather than a package entry, so this hands the data set code
 * dcmjs up front, as the default entry (src/entry.ts) does. The entries themselves, and loading
 * dcmjs on first use under Node, are tested on dist/ (test/unit/dcmjs-loading.test.ts).
 */
import { data, log, utilities } from 'dcmjs';
import { dcmjsParts, provideDcmjs } from '../../src/dataset/dcmjs-module';

// The same parts the entry hands over, so a codec that reached for anything else fails here too.
provideDcmjs(dcmjsParts(data, log, utilities));
