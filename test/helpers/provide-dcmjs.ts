/**
 * Tests import src/ modules directly rather than a package entry, so this hands the data set code
 * dcmjs up front, as the default entry (src/entry.ts) does. The entries themselves, and loading
 * dcmjs on first use under Node, are tested on dist/ (test/unit/dcmjs-loading.test.ts).
 */
import * as dcmjs from 'dcmjs';
import { provideDcmjs } from '../../src/dataset/dcmjs-module';

provideDcmjs(dcmjs);
