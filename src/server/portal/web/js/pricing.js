// Pricing: the fare model (amounts in minor units), surge windows and an
// optional JsonLogic rule, saved with PATCH /v1/pricing.
import {api} from './api.js';
import {clearStatus, field, h, showError, showOk} from './dom.js';

const kAmounts = [['base_fare', 'Base fare'], ['per_km', 'Per km'], ['per_minute', 'Per minute'], ['minimum_fare', 'Minimum fare']];

function jsonOrNull(text, what) {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw {title: `${what} is not JSON`, detail: e.message};
  }
}

export async function pricingView(main) {
  const pricing = await api('GET', '/v1/pricing');
  const status = h('div', {class: 'status', id: 'pricing-status', role: 'status', 'aria-live': 'polite'});
  const currency = h('input', {id: 'pricing-currency', value: pricing.currency || 'USD', maxlength: 3, spellcheck: 'false'});
  const amounts = Object.fromEntries(kAmounts.map(([key]) =>
    [key, h('input', {id: `pricing-${key}`, type: 'number', step: 'any', value: String(pricing[key] ?? 0)})]));
  const surge = h('textarea', {id: 'pricing-surge', spellcheck: 'false', rows: 6},
    JSON.stringify(pricing.surge || [], null, 2));
  const rule = h('textarea', {id: 'pricing-rule', spellcheck: 'false', rows: 4},
    pricing.rule === undefined || pricing.rule === null ? '' : JSON.stringify(pricing.rule, null, 2));

  const form = h('form', {class: 'card form', id: 'pricing-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearStatus(status);
    try {
      const patch = {currency: currency.value.trim().toUpperCase(),
                     surge: jsonOrNull(surge.value, 'Surge') || [],
                     rule: jsonOrNull(rule.value, 'The rule')};
      for (const [key, label] of kAmounts) {
        const v = amounts[key].value.trim();
        if (v === '' || !Number.isFinite(Number(v))) throw {title: `${label} must be a number`};
        patch[key] = Number(v);
      }
      await api('PATCH', '/v1/pricing', {body: patch});
      showOk(status, 'Pricing saved.');
    } catch (err) {
      showError(status, err);
    }
  }},
    field('Currency', currency, 'ISO 4217, e.g. EUR.'),
    h('div', {class: 'row'}, kAmounts.map(([key, label]) => field(label, amounts[key]))),
    h('p', {class: 'hint'}, 'Amounts are in minor units of the currency (cents).'),
    field('Surge windows (JSON array)', surge, 'e.g. [{"zones": ["center"], "days": ["fri"], "from": "18:00", "to": "23:00", "multiplier": 1.5}]'),
    field('Rule (JsonLogic, optional)', rule, 'Empty removes the rule.'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'pricing-save'}, 'Save pricing')),
    status);
  main.replaceChildren(h('h1', {}, 'Pricing'), form);
}
