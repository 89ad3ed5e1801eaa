// The branding editor: name, colours and logo, painted on a preview card as
// the admin types, saved with PATCH /v1/branding; the portal's header then
// wears the saved branding (and does again after a reload, from GET).
import {api} from './api.js';
import {clearStatus, field, h, showError, showOk} from './dom.js';

const kColor = /^#[0-9a-fA-F]{6}$/;

export function isColor(text) { return kColor.test(text); }

// Black or white, whichever reads better on `hex` (WCAG relative luminance).
export function inkFor(hex) {
  if (!isColor(hex)) return '#ffffff';
  const channel = (i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return l > 0.179 ? '#111827' : '#ffffff';
}

// Only https logos are shown, as the server only stores those.
function isHttpsUrl(text) {
  try { return new URL(text).protocol === 'https:'; } catch { return false; }
}

// Paints the portal header with saved branding.
export function applyBranding(branding) {
  const root = document.documentElement;
  const primary = branding && isColor(branding.primary_color) ? branding.primary_color : '#1f2937';
  root.style.setProperty('--brand', primary);
  root.style.setProperty('--brand-ink', inkFor(primary));
  document.getElementById('brand-name').textContent = branding && branding.name ? branding.name : 'tenancyd';
  const logo = document.getElementById('brand-logo');
  if (branding && branding.logo_url && isHttpsUrl(branding.logo_url)) {
    logo.src = branding.logo_url;
    logo.hidden = false;
  } else {
    logo.removeAttribute('src');
    logo.hidden = true;
  }
  document.title = `${branding && branding.name ? branding.name : 'tenancyd'} · admin`;
}

function colorField(id, label, value, optional) {
  const text = h('input', {id, name: id, value: value || '', maxlength: 7, placeholder: optional ? 'none' : '#RRGGBB',
                           spellcheck: 'false', autocomplete: 'off'});
  const picker = h('input', {type: 'color', 'aria-label': `${label} picker`, value: isColor(value) ? value.toLowerCase() : '#000000'});
  picker.addEventListener('input', () => {
    text.value = picker.value;
    text.dispatchEvent(new Event('input', {bubbles: true}));
  });
  text.addEventListener('input', () => { if (isColor(text.value)) picker.value = text.value.toLowerCase(); });
  return {text, el: field(label, h('span', {class: 'color-field'}, picker, text), optional ? 'Optional.' : null)};
}

export async function brandingView(main, ctx) {
  const branding = await api('GET', '/v1/branding');
  const name = h('input', {id: 'brand-name-input', name: 'name', value: branding.name || '', maxlength: 100, required: true});
  const primary = colorField('brand-primary', 'Primary colour', branding.primary_color, false);
  const secondary = colorField('brand-secondary', 'Secondary colour', branding.secondary_color, true);
  const accent = colorField('brand-accent', 'Accent colour', branding.accent_color, true);
  const logo = h('input', {id: 'brand-logo-url', name: 'logo_url', type: 'url', value: branding.logo_url || '',
                           placeholder: 'https://…', maxlength: 2048});
  const status = h('div', {class: 'status', id: 'branding-status', role: 'status', 'aria-live': 'polite'});

  const previewLogo = h('img', {alt: '', id: 'preview-logo', hidden: true});
  const previewName = h('span', {class: 'preview-name', id: 'preview-name'});
  const preview = h('div', {class: 'preview', id: 'preview', 'aria-label': 'Live preview'},
    h('div', {class: 'preview-bar', id: 'preview-bar'}, previewLogo, previewName),
    h('div', {class: 'preview-strip'}),
    h('div', {class: 'preview-body'},
      h('span', {}, 'Where to today?'),
      h('span', {class: 'preview-button'}, 'Book a ride')));

  // The preview follows every keystroke; invalid values are marked and
  // leave the preview at its last valid look.
  const paint = () => {
    previewName.textContent = name.value.trim() || 'Your brand';
    for (const [input, prop, ink] of [[primary.text, '--preview-primary', '--preview-ink'],
                                      [secondary.text, '--preview-secondary', null],
                                      [accent.text, '--preview-accent', '--preview-accent-ink']]) {
      const v = input.value.trim();
      const valid = isColor(v) || (v === '' && input !== primary.text);
      input.setAttribute('aria-invalid', valid ? 'false' : 'true');
      if (!valid) continue;
      if (v === '') {
        preview.style.removeProperty(prop);
        if (ink) preview.style.removeProperty(ink);
      } else {
        preview.style.setProperty(prop, v);
        if (ink) preview.style.setProperty(ink, inkFor(v));
      }
    }
    const url = logo.value.trim();
    logo.setAttribute('aria-invalid', url === '' || isHttpsUrl(url) ? 'false' : 'true');
    if (isHttpsUrl(url)) {
      previewLogo.src = url;
      previewLogo.hidden = false;
    } else {
      previewLogo.removeAttribute('src');
      previewLogo.hidden = true;
    }
  };

  const save = h('button', {type: 'submit', id: 'branding-save'}, 'Save branding');
  const form = h('form', {class: 'card form', id: 'branding-form', novalidate: true, oninput: paint, onsubmit: async (e) => {
    e.preventDefault();
    clearStatus(status);
    const patch = {
      name: name.value.trim(),
      primary_color: primary.text.value.trim(),
      // null removes an optional field the admin emptied.
      secondary_color: secondary.text.value.trim() || null,
      accent_color: accent.text.value.trim() || null,
      logo_url: logo.value.trim() || null,
    };
    save.disabled = true;
    try {
      const saved = await api('PATCH', '/v1/branding', {body: patch});
      applyBranding(saved);
      if (ctx && ctx.onBranding) ctx.onBranding(saved);
      showOk(status, 'Branding saved.');
    } catch (err) {
      showError(status, err);
    } finally {
      save.disabled = false;
    }
  }},
    field('Name', name),
    primary.el, secondary.el, accent.el,
    field('Logo URL', logo, 'An https:// image address.'),
    h('div', {class: 'actions'}, save),
    status);

  main.replaceChildren(h('h1', {}, 'Branding'),
    h('div', {class: 'split'}, form, h('div', {}, h('h2', {}, 'Preview'), preview)));
  paint();
}
