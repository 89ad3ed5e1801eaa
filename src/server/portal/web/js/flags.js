// Feature flags: the tenant's flagd document, listed and edited as JSON.
// The server validates it strictly (422 invalid_flags names the flag); the
// page checks only that it is JSON before sending.
import {api} from './api.js';
import {clearStatus, field, h, showError, showOk} from './dom.js';

export async function flagsView(main) {
  let doc = await api('GET', '/v1/flags');
  const status = h('div', {class: 'status', id: 'flags-status', role: 'status', 'aria-live': 'polite'});
  const list = h('div', {id: 'flags-list'});
  const editor = h('textarea', {id: 'flags-editor', spellcheck: 'false', rows: 16});

  const render = () => {
    const flags = Object.entries((doc && doc.flags) || {});
    list.replaceChildren(flags.length === 0 ? h('p', {class: 'hint'}, 'No flags of this tenant: the platform\'s apply.') :
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Flag'), h('th', {}, 'State'), h('th', {}, 'Default'), h('th', {}, 'Variants'), h('th', {}, 'Targeting'))),
        h('tbody', {}, flags.map(([key, f]) => h('tr', {dataset: {flag: key}},
          h('td', {}, key), h('td', {}, h('span', {class: `badge ${f.state === 'ENABLED' ? 'active' : 'suspended'}`}, f.state || '?')),
          h('td', {}, f.defaultVariant ?? ''), h('td', {}, Object.keys(f.variants || {}).join(', ')),
          h('td', {}, f.targeting && Object.keys(f.targeting).length ? 'yes' : 'no'))))));
    editor.value = JSON.stringify(doc || {flags: {}}, null, 2);
  };

  const form = h('form', {class: 'card form', id: 'flags-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearStatus(status);
    let parsed;
    try {
      parsed = JSON.parse(editor.value);
    } catch (err) {
      editor.setAttribute('aria-invalid', 'true');
      showError(status, {title: 'The document is not JSON', detail: err.message});
      return;
    }
    editor.removeAttribute('aria-invalid');
    try {
      doc = await api('PUT', '/v1/flags', {body: parsed});
      render();
      showOk(status, 'Flags saved.');
    } catch (err) {
      editor.setAttribute('aria-invalid', 'true');
      showError(status, err);
    }
  }},
    field('flagd document', editor, 'The flagd flag-definition format: {"flags": {"key": {"state", "variants", "defaultVariant", "targeting"?}}}.'),
    h('div', {class: 'actions'},
      h('button', {type: 'submit', id: 'flags-save'}, 'Save flags'),
      h('button', {type: 'button', class: 'quiet', id: 'flags-reset', onclick: async () => {
        if (!window.confirm('Remove this tenant\'s flags and use the platform\'s?')) return;
        clearStatus(status);
        try {
          await api('DELETE', '/v1/flags');
          doc = await api('GET', '/v1/flags');
          render();
          showOk(status, 'The tenant\'s flags were removed.');
        } catch (err) {
          showError(status, err);
        }
      }}, 'Use the platform\'s flags')),
    status);
  main.replaceChildren(h('h1', {}, 'Feature flags'), list, form);
  render();
}
