// Builds dist/ (see package.json "exports"):
//   ESM, dependencies external: index.js, index-node.js*, memory.js, node.js*, node-stub.js, cli.js*, websocket.js*, proxy.js*, opentelemetry.js*
//   (* only if the source exists)
//   one shared-chunk build so `instanceof TransportError` holds across entries
//   types: dist/types/** (declarations from the typescript plugin, same tree as the sources)
//   IIFE for <script>: netdicom.iife.js and minified netdicom.iife.min.js, global `netdicom`,
//   dcmjs + buffer + web-streams-polyfill + one pako bundled in
import { existsSync, readFileSync } from 'node:fs';
import commonjs from '@rollup/plugin-commonjs';
import resolve from '@rollup/plugin-node-resolve';
import terser from '@rollup/plugin-terser';
import typescript from '@rollup/plugin-typescript';

const optionalEntries = {
  'index-node': 'adapters/node/entry.ts', // `netdicom` under Node: dcmjs loaded on first use
  node: 'adapters/node/index.ts',
  cli: 'adapters/cli/index.ts',
  websocket: 'adapters/websocket/index.ts', // web platform only; also in the IIFE
  proxy: 'adapters/websocket-proxy/index.ts', // Node only; `ws` stays external
  opentelemetry: 'adapters/opentelemetry/index.ts', // `@opentelemetry/api` stays external (optional peer)
};

const esmInput = {
  index: 'src/entry.ts', // `netdicom` elsewhere: dcmjs imported up front
  memory: 'adapters/memory/index.ts',
  'node-stub': 'adapters/node-stub.ts',
};
for (const [name, file] of Object.entries(optionalEntries)) {
  if (existsSync(file)) esmInput[name] = file;
}

/** Bare specifiers (npm packages, node: built-ins) stay imports in the ESM builds. */
const isBare = (id) => !id.startsWith('.') && !id.startsWith('/') && !id.startsWith('\0') && !/^[A-Za-z]:[\\/]/.test(id);

/** Files the typescript plugin compiles: only what the entries reach, never tests or other adapters' WIP. */
const tsInclude = ['src/**/*.ts', 'adapters/**/*.ts'];

/**
 * dcmjs uses a bare `Buffer` global (e.g. datasetToBuffer). In the browser bundle we give
 * that one module the npm `buffer` package instead of installing a global.
 */
function injectBufferIntoDcmjs() {
  return {
    name: 'inject-buffer-into-dcmjs',
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]dcmjs[\\/]/.test(id) || !/\bBuffer\b/.test(code)) return null;
      return { code: `import { Buffer } from 'buffer';\n${code}`, map: null };
    },
  };
}

/**
 * dcmjs's ES build carries its own copy of pako 2.1 (~220 kB), next to the pako we use for
 * Deflated Explicit VR LE. In the browser bundle, cut dcmjs's copy and import ours instead: dcmjs
 * uses it only as `pako.inflateRaw` (same API in 2.2). If dcmjs's layout changes, warn and keep
 * both copies rather than break the bundle.
 */
function dedupePakoInDcmjs() {
  return {
    name: 'dedupe-pako-in-dcmjs',
    transform(code, id) {
      if (!/[\\/]node_modules[\\/]dcmjs[\\/]build[\\/]dcmjs\.es\.js$/.test(id)) return null;
      const start = code.indexOf('/*! pako ');
      const object = code.indexOf('\nvar pako = {', start);
      const end = object < 0 ? -1 : code.indexOf('\n};\n', object);
      if (start < 0 || end < 0 || /\bpako\b/.test(code.slice(0, start))) {
        this.warn('dcmjs no longer looks as expected: its copy of pako stays in the bundle');
        return null;
      }
      return { code: `import pako from 'pako';\n${code.slice(0, start)}${code.slice(end + 4)}`, map: null };
    },
  };
}

/** Quiet the warnings we expect and understand; keep the rest. */
function onwarn(warning, warn) {
  // dcmjs' bundled dependencies use top-level `this` and circular imports; harmless in the IIFE.
  if (warning.code === 'THIS_IS_UNDEFINED' || warning.code === 'CIRCULAR_DEPENDENCY') return;
  warn(warning);
}

/** The IIFE build type-checks the same program again; its type errors were already shown once. */
function onwarnIife(warning, warn) {
  if (warning.plugin === 'typescript') return;
  onwarn(warning, warn);
}

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const banner = `/*! netdicom ${pkg.version} | MIT */`;

export default [
  {
    input: esmInput,
    external: isBare,
    output: {
      dir: 'dist',
      format: 'es',
      entryFileNames: '[name].js',
      chunkFileNames: 'chunks/[name]-[hash].js',
      sourcemap: true,
      banner,
    },
    plugins: [
      typescript({
        tsconfig: './tsconfig.json',
        include: tsInclude,
        compilerOptions: {
          outDir: 'dist',
          declaration: true,
          declarationDir: 'dist/types',
          rootDir: '.',
          sourceMap: true,
          noEmitOnError: false,
        },
        noForceEmit: false,
      }),
    ],
    onwarn,
  },
  {
    input: 'adapters/browser-entry.ts',
    output: [
      { file: 'dist/netdicom.iife.js', format: 'iife', name: 'netdicom', sourcemap: true, banner, inlineDynamicImports: true },
      // terser keeps /*! comments: our banner and the licences of what is bundled.
      { file: 'dist/netdicom.iife.min.js', format: 'iife', name: 'netdicom', sourcemap: true, banner, inlineDynamicImports: true, plugins: [terser()] },
    ],
    plugins: [
      injectBufferIntoDcmjs(),
      dedupePakoInDcmjs(),
      // browser: true picks browser fields; preferBuiltins: false so `buffer` is the npm package;
      // dedupe: dcmjs's `pako` import (above) resolves to our pako, not to its nested 2.1.
      resolve({ browser: true, preferBuiltins: false, dedupe: ['pako'] }),
      commonjs(),
      typescript({
        tsconfig: './tsconfig.json',
        include: tsInclude,
        compilerOptions: { outDir: 'dist', declaration: false, declarationMap: false, sourceMap: true, rootDir: '.' },
      }),
    ],
    onwarn: onwarnIife,
  },
];
