/* The observatory's page script for the Voila apps: one bundle instead of Voila's JupyterLab.

   Voila renders the notebook on the server and starts its kernel; the page gets the cells'
   outputs as <script type="application/vnd.voila.cell-output+json"> elements and the kernel's
   id in #jupyter-config-data. This script connects to that kernel's websocket
   (@jupyterlab/services), fetches the state of every widget in one message (ipywidgets 8's
   control comm), and puts each output in the place of its script element: widget views
   (@jupyter-widgets/controls, jupyter-leaflet), HTML, plain text and error messages. It does
   what Voila's own front end does for these pages without loading JupyterLab's application,
   its rendermime registry and the federated extensions (see docs/ARCHITECTURE.md).
*/
import * as base from '@jupyter-widgets/base';
import { ManagerBase } from '@jupyter-widgets/base-manager';
import * as controls from '@jupyter-widgets/controls';
import { ServerConnection } from '@jupyterlab/services/lib/serverconnection';
import { KernelConnection } from '@jupyterlab/services/lib/kernel/default';
import { CommsOverSubshells } from '@jupyterlab/services/lib/kernel/comm';
import { Widget } from '@lumino/widgets';

import * as leaflet from './leaflet-widgets';

import '@jupyter-widgets/base/css/index.css';
// Not widgets.css: its labvariables.css would redefine the theme's --jp-* variables.
import '@jupyter-widgets/controls/css/widgets-base.css';
import 'leaflet/dist/leaflet.css';
import 'jupyter-leaflet/css/jupyter-leaflet.css';
import './page.css';

const OUTPUT_TYPE = 'application/vnd.voila.cell-output+json';
const WIDGET_VIEW = 'application/vnd.jupyter.widget-view+json';
const MODULES = {
  '@jupyter-widgets/base': base,
  '@jupyter-widgets/controls': controls,
  'jupyter-leaflet': leaflet,
};

class PageWidgetManager extends ManagerBase {
  constructor(kernel) {
    super();
    this.kernel = kernel;
    // Widgets the kernel creates later (a region's panel, a new legend) arrive as comm opens.
    kernel.registerCommTarget(this.comm_target_name, (comm, message) =>
      this.handle_comm_open(new base.shims.services.Comm(comm), message)
    );
  }

  async loadClass(className, moduleName, moduleVersion) {
    const found = MODULES[moduleName] && MODULES[moduleName][className];
    if (!found) {
      throw new Error(`The page has no widget class ${className} of ${moduleName} ${moduleVersion}`);
    }
    return found;
  }

  async _create_comm(targetName, modelId, data, metadata, buffers) {
    const comm = this.kernel.createComm(targetName, modelId);
    if (data || metadata) {
      comm.open(data, metadata, buffers);
    }
    return new base.shims.services.Comm(comm);
  }

  async _get_comm_info() {
    const reply = await this.kernel.requestCommInfo({ target_name: this.comm_target_name });
    return reply.content.status === 'ok' ? reply.content.comms : {};
  }

  // Widget descriptions are shown as text, never as HTML (no app sets description_allow_html;
  // the sanitiser that would allow it is left out of the bundle).
  inline_sanitize(source) {
    const node = document.createElement('span');
    node.textContent = source;
    return node.innerHTML;
  }

  async display_view(view, element) {
    Widget.attach(view.luminoWidget, element);
    return view;
  }
}

function outputNode(className, mimeType) {
  const node = document.createElement('div');
  node.className = `jp-OutputArea-output ${className}`;
  if (mimeType) {
    node.dataset.mimeType = mimeType;
  }
  return node;
}

function textNode(text, className) {
  const node = outputNode(className, 'text/plain');
  const pre = document.createElement('pre');
  pre.textContent = text;
  node.appendChild(pre);
  return node;
}

// ANSI colour codes of tracebacks and streams: shown as plain text.
const ANSI = /\u001b\[[0-9;]*m/g;

function renderOutput(output, manager) {
  const data = output.data || {};
  if (output.output_type === 'stream') {
    return textNode([].concat(output.text).join(''), `jp-OutputArea-${output.name || 'stdout'}`);
  }
  if (output.output_type === 'error') {
    const text = [`${output.ename}: ${output.evalue}`, ...(output.traceback || [])].join('\n');
    return textNode(text.replace(ANSI, ''), 'jp-RenderedText');
  }
  if (data[WIDGET_VIEW]) {
    const node = outputNode('jp-RenderedWidget', WIDGET_VIEW);
    manager
      .get_model(data[WIDGET_VIEW].model_id)
      .then((model) => manager.create_view(model))
      .then((view) => manager.display_view(view, node))
      .catch((error) => console.error('A widget could not be shown:', error));
    return node;
  }
  if (data['text/html'] !== undefined) {
    const node = outputNode('jp-RenderedHTMLCommon jp-RenderedHTML', 'text/html');
    node.innerHTML = [].concat(data['text/html']).join('');
    return node;
  }
  if (data['text/plain'] !== undefined) {
    return textNode([].concat(data['text/plain']).join(''), 'jp-RenderedText');
  }
  return null;
}

function showPage() {
  const loading = document.getElementById('loading');
  if (loading) {
    loading.remove();
  }
  const cells = document.getElementById('rendered_cells');
  if (cells) {
    cells.style.display = '';
  }
}

function connectKernel(config) {
  const serverSettings = ServerConnection.makeSettings();
  return new KernelConnection({
    model: { id: config.kernelId, name: '' },
    serverSettings,
    handleComms: true,
    commsOverSubshells: CommsOverSubshells.Disabled,
  });
}

async function main() {
  const config = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const scripts = Array.from(document.querySelectorAll(`script[type="${OUTPUT_TYPE}"]`));
  const outputs = scripts.map((script) => JSON.parse(script.textContent));
  const needsKernel = outputs.some((output) => output.data && output.data[WIDGET_VIEW]);
  let manager = null;
  if (needsKernel && config.kernelId) {
    const kernel = connectKernel(config);
    manager = new PageWidgetManager(kernel);
    window.addEventListener('pagehide', () => kernel.dispose());
    await manager._loadFromKernel();
  }
  scripts.forEach((script, index) => {
    const node = renderOutput(outputs[index], manager);
    if (node) {
      script.replaceWith(node);
    } else {
      script.remove();
    }
  });
  showPage();
}

main().catch((error) => {
  console.error('The app could not connect to its kernel:', error);
  showPage();
});
