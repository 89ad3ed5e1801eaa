// Building the page from elements, never from markup strings: every value from the API or the user
// lands as text or as an attribute, never as markup, so a tenant's name
// cannot inject script (and the Content-Security-Policy forbids inline
// script besides).

// h('button', {type: 'button', onclick: fn, class: 'quiet'}, 'Save', child, ...)
// Properties starting with "on" become listeners; `dataset` is an object;
// null, undefined and false props and children are skipped.
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name === 'value') {
      el.value = value;
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

// Replaces `el`'s content.
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A labelled input: label(text, input, hint?)
export function field(text, input, hint) {
  return h('label', {}, text, input, hint ? h('small', {class: 'hint'}, hint) : null);
}

// What went wrong, for a status area: an ApiError's title and detail (from
// the server's problem+json), or a local message.
export function showError(area, err) {
  area.className = 'status error';
  const title = err && err.title ? err.title : 'Something went wrong';
  const detail = err && err.detail ? err.detail : (err && err.message && !err.title ? err.message : '');
  show(area, h('strong', {}, title), detail ? h('span', {class: 'detail'}, detail) : null);
}

export function showOk(area, text) {
  area.className = 'status ok';
  show(area, text);
}

export function clearStatus(area) {
  area.className = 'status';
  area.replaceChildren();
}

// Asks for a reason before an action: resolves with the reason, or null
// when cancelled. A <dialog>, not window.confirm, because the control plane
// records why a tenant changed state.
export function confirmWithReason(question, confirmLabel, danger = false) {
  return new Promise((resolve) => {
    const reason = h('input', {name: 'reason', id: 'confirm-reason', required: true, maxlength: 500,
                               placeholder: 'Why? (recorded in the tenant history)'});
    const status = h('div', {class: 'status', role: 'status'});
    const dialog = h('dialog', {id: 'confirm-dialog', 'aria-label': question});
    const close = (value) => { dialog.close(); dialog.remove(); resolve(value); };
    const form = h('form', {class: 'form', method: 'dialog', novalidate: true, onsubmit: (e) => {
      e.preventDefault();
      const text = reason.value.trim();
      if (!text) { showError(status, {title: 'A reason is required'}); reason.focus(); return; }
      close(text);
    }},
      h('p', {}, question),
      field('Reason', reason),
      status,
      h('div', {class: 'actions'},
        h('button', {type: 'submit', id: 'confirm-ok', class: danger ? 'danger' : null}, confirmLabel),
        h('button', {type: 'button', class: 'quiet', id: 'confirm-cancel', onclick: () => close(null)}, 'Cancel')));
    dialog.append(form);
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); close(null); });
    document.body.append(dialog);
    dialog.showModal();
    reason.focus();
  });
}
