// Builds the apps' page script and style sheet into the Voila template's static folder:
// observatory-app.js and observatory-app.css (not committed; `make frontend` runs this).
// ANALYSE=1 prints the bundle's size by package instead of writing it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.join(
  here,
  '../observatory_lib/runtime/voila_config/jupyter/nbconvert/templates/observatory/static'
);
const leafletLib = `${path.sep}jupyter-leaflet${path.sep}lib${path.sep}`;

// jupyter-leaflet's modules import `./leaflet` (Leaflet with sixteen plug-ins) and the
// `./jupyter-leaflet` index (every layer and control): both resolve to the slim versions.
// sanitize-html (with postcss and htmlparser2, a fifth of the bundle) serves only widget
// descriptions marked description_allow_html, which no app uses: the page's widget manager
// escapes descriptions instead (src/app.js, inline_sanitize).
const slimModules = {
  name: 'slim-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\.?\/(leaflet|jupyter-leaflet)$/ }, (args) => {
      if (!args.importer.includes(leafletLib)) {
        return undefined;
      }
      const slim = args.path.endsWith('jupyter-leaflet') ? 'leaflet-widgets.js' : 'leaflet-slim.js';
      return { path: path.join(here, 'src', slim) };
    });
    build.onResolve({ filter: /^sanitize-html$/ }, () => ({
      path: path.join(here, 'src', 'no-sanitize-html.js'),
    }));
  },
};

const analyse = Boolean(process.env.ANALYSE);
const result = await esbuild.build({
  entryPoints: { 'observatory-app': path.join(here, 'src/app.js') },
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  outdir: staticDir,
  plugins: [slimModules],
  // Leaflet's marker images and the widgets' icons, inlined: the page makes no extra request.
  loader: { '.png': 'dataurl', '.svg': 'dataurl', '.gif': 'dataurl' },
  define: { 'process.env.NODE_ENV': '"production"', global: 'window' },
  legalComments: 'none',
  logLevel: 'warning',
  metafile: true,
  write: !analyse,
});

const outputs = Object.entries(result.metafile.outputs);
if (analyse) {
  const byPackage = {};
  for (const [, output] of outputs) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      const name = match ? match[1] : input;
      byPackage[name] = (byPackage[name] || 0) + bytesInOutput;
    }
  }
  for (const [name, bytes] of Object.entries(byPackage).sort((a, b) => b[1] - a[1])) {
    console.log(`${(bytes / 1024).toFixed(0).padStart(6)} KiB  ${name}`);
  }
} else {
  const sizes = outputs.map(([file, { bytes }]) => `${path.basename(file)} ${(bytes / 1024).toFixed(0)} KiB`);
  console.log(`frontend: built ${sizes.join(', ')} in ${path.relative(process.cwd(), staticDir)}`);
}
