// JavaScript that tests/test_browser.py runs in JupyterLab's page, one function a section.
// `window.jupyterapp` exists thanks to --LabApp.expose_app_in_browser; the notebook under
// test is window.__streamsLab.panel. A section starts with a line `//# NAME`; the Python
// side reads them with tests/browser_support.py's `page_scripts`.

//# OPEN
async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  window.__streamsLab = {panel, sent: 0, replied: 0, kernel: null, watching: false};
  await panel.context.ready;
  await panel.sessionContext.ready;
  app.shell.activateById(panel.id);
  return panel.id;
}

//# KERNEL_IDLE
() => {
  const kernel = window.__streamsLab.panel.sessionContext.session?.kernel;
  return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}

//# WATCH_KERNEL
// Count execute requests going out and replies coming back on this kernel, so that
// "finished" cannot be mistaken for "not started yet". Called again, it starts counting anew.
() => {
  const state = window.__streamsLab;
  const kernel = state.panel.sessionContext.session.kernel;
  state.sent = 0;
  state.replied = 0;
  if (!state.watching) {
    state.watching = true;
    state.kernel = kernel;
    kernel.anyMessage.connect((_, {msg, direction}) => {
      if (direction === 'send' && msg.header.msg_type === 'execute_request') state.sent++;
      if (direction === 'recv' && msg.header.msg_type === 'execute_reply') state.replied++;
    });
  }
  const cells = state.panel.content.model.cells;
  let runnable = 0;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code' && cell.sharedModel.getSource().trim()) runnable++;
  }
  return runnable;
}

//# FINISHED
(runnable) => {
  const state = window.__streamsLab;
  const cells = state.panel.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).type === 'code' && cells.get(i).executionState === 'running') return false;
  }
  const kernel = state.panel.sessionContext.session?.kernel;
  return state.sent >= runnable && state.replied >= state.sent
    && kernel === state.kernel && kernel.status === 'idle';
}

//# PROGRESS
() => {
  const state = window.__streamsLab;
  const cells = state.panel.content.model.cells;
  const running = [];
  for (let i = 0; i < cells.length; i++) {
    if (cells.get(i).type === 'code' && cells.get(i).executionState === 'running') running.push(i);
  }
  const kernel = state.panel.sessionContext.session?.kernel;
  return {sent: state.sent, replied: state.replied, running,
          kernel: kernel ? kernel.status : 'no kernel'};
}

//# CELLS
() => {
  const cells = window.__streamsLab.panel.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) out.push(cells.get(i).toJSON());
  return out;
}

//# WIDGET_VIEWS
// For each widget output (cell index, output index): what the page shows there.
(where) => {
  const cells = window.__streamsLab.panel.content.widgets;
  return where.map(([c, o]) => {
    const area = cells[c].node.querySelector('.jp-Cell-outputArea');
    const child = area ? area.querySelectorAll(':scope > .jp-OutputArea-child')[o] : null;
    const output = child ? child.querySelector('.jp-OutputArea-output') : null;
    if (!output) return {rendered: false, text: '(no output element)'};
    const view = [...output.querySelectorAll(':scope > .jupyter-widgets')]
      .find(e => [...e.classList].some(k => k.startsWith('widget-')));
    const text = output.innerText.trim().slice(0, 200);
    return {rendered: !!view && !/Error displaying widget|Loading widget/.test(text), text};
  });
}

//# MERMAID
() => {
  const root = window.__streamsLab.panel.content.node;
  const all = [...root.querySelectorAll('.jp-RenderedMermaid')];
  const failed = all.filter(e => e.classList.contains('jp-mod-warning'));
  const drawn = all.filter(e => !e.classList.contains('jp-mod-warning')
                                && e.querySelector('img, svg'));
  // a failed diagram shows its source; mermaid's message is in the folded part
  const message = e => (e.querySelector('details > pre') || e).textContent.trim().slice(0, 300);
  return {drawn: drawn.length, errors: failed.map(message)};
}

//# MARK_WIDGET
// Mark the output area of the cell with this id, so that locators can find the widget in it.
(id) => {
  const root = window.__streamsLab.panel.content.node;
  root.querySelectorAll('[data-streams-lab-play]')
    .forEach(e => e.removeAttribute('data-streams-lab-play'));
  const cell = window.__streamsLab.panel.content.widgets.find(c => c.model.id === id);
  const area = cell ? cell.node.querySelector('.jp-Cell-outputArea') : null;
  if (!area) return false;
  area.setAttribute('data-streams-lab-play', '1');
  area.scrollIntoView();
  return true;
}

//# RUN_CELL
// Run one cell, as Shift-Enter would (without moving on), found by its id.
async (id) => {
  const notebook = window.__streamsLab.panel.content;
  const index = notebook.widgets.findIndex(c => c.model.id === id);
  if (index < 0) throw new Error('no cell ' + id);
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  await window.jupyterapp.commands.execute('notebook:run-cell');
}

//# WIDGET_TEXT
// What the marked widget shows: its text, plus the values of its boxes (a Textarea's
// value is not in innerText).
() => {
  const area = window.__streamsLab.panel.content.node.querySelector('[data-streams-lab-play]');
  if (!area) return '(the widget is gone)';
  const values = [...area.querySelectorAll('input[type=text], textarea')].map(e => e.value);
  return [area.innerText, ...values].join('\n');
}

//# NOTEBOOK_HEIGHT
// The notebook's full height; scrolled to the top so the screenshot starts at the title.
() => {
  const panel = window.__streamsLab.panel;
  const node = panel.content.node;
  const scroller = node.querySelector('.jp-WindowedPanel-outer') || node;
  scroller.scrollTop = 0;
  return scroller.scrollHeight;
}

//# CLOSE
async () => {
  const state = window.__streamsLab;
  if (!state) return;
  window.__streamsLab = null;
  try { await state.panel.sessionContext.shutdown(); } finally {
    state.panel.context.model.dirty = false;  // Run All made it dirty; discard, never save
    state.panel.dispose();
  }
}
