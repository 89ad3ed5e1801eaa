// Service zones: the tenant's GeoJSON FeatureCollection, listed, drawn, and
// changed as a whole with PUT /v1/zones (the server validates every ring).
import {api} from './api.js';
import {clearStatus, field, h, showError, showOk} from './dom.js';

const kSvg = 'http://www.w3.org/2000/svg';

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === 'Polygon') return [geometry.coordinates];
  if (geometry.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

function vertexCount(geometry) {
  return polygonsOf(geometry).reduce((n, poly) => n + poly.reduce((m, ring) => m + ring.length, 0), 0);
}

// Outer rings on an equirectangular projection fitted to their bounds.
function zoneMap(features) {
  const svg = document.createElementNS(kSvg, 'svg');
  svg.setAttribute('class', 'map');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', 'Zones map');
  const rings = features.flatMap((f) => polygonsOf(f.geometry).map((p) => ({id: f.properties && f.properties.id, ring: p[0] || []})));
  const points = rings.flatMap((r) => r.ring);
  if (points.length === 0) return svg;
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const minX = Math.min(...xs), maxX = Math.max(...xs), minY = Math.min(...ys), maxY = Math.max(...ys);
  const w = Math.max(maxX - minX, 1e-6), hgt = Math.max(maxY - minY, 1e-6);
  svg.setAttribute('viewBox', `${-0.05 * w} ${-0.05 * hgt} ${w * 1.1} ${hgt * 1.1}`);
  svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
  for (const {id, ring} of rings) {
    const poly = document.createElementNS(kSvg, 'polygon');
    poly.setAttribute('points', ring.map(([x, y]) => `${x - minX},${maxY - y}`).join(' '));
    const title = document.createElementNS(kSvg, 'title');
    title.textContent = id || '';
    poly.append(title);
    svg.append(poly);
  }
  return svg;
}

// A Feature from the textarea: a whole Feature, or a bare Polygon /
// MultiPolygon geometry that gets the id and name from the form.
export function featureFrom(text, id, name) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw {title: 'The geometry is not JSON', detail: e.message};
  }
  if (!parsed || typeof parsed !== 'object') throw {title: 'The geometry must be a JSON object'};
  const feature = parsed.type === 'Feature' ? parsed : {type: 'Feature', properties: {}, geometry: parsed};
  feature.properties = Object.assign({}, feature.properties || {});
  if (id) feature.properties.id = id;
  if (name) feature.properties.name = name;
  if (!feature.properties.id) throw {title: 'The zone needs an id'};
  return feature;
}

export async function zonesView(main) {
  let zones = await api('GET', '/v1/zones');
  const status = h('div', {class: 'status', id: 'zones-status', role: 'status', 'aria-live': 'polite'});
  const list = h('div', {id: 'zones-list'});
  const map = h('div', {});

  const store = async (features, done) => {
    clearStatus(status);
    try {
      zones = await api('PUT', '/v1/zones', {body: {type: 'FeatureCollection', features}});
      render();
      showOk(status, done);
      return true;
    } catch (err) {
      showError(status, err);
      return false;
    }
  };

  const render = () => {
    const features = zones.features || [];
    list.replaceChildren(features.length === 0 ? h('p', {class: 'hint'}, 'No zones yet.') :
      h('table', {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Id'), h('th', {}, 'Name'), h('th', {}, 'Geometry'), h('th', {}, 'Vertices'), h('th', {}, ''))),
        h('tbody', {}, features.map((f, i) => h('tr', {dataset: {zone: f.properties.id}},
          h('td', {}, f.properties.id), h('td', {}, f.properties.name || ''), h('td', {}, f.geometry.type),
          h('td', {}, vertexCount(f.geometry)),
          h('td', {}, h('button', {type: 'button', class: 'small quiet', onclick: () => {
            if (!window.confirm(`Delete zone ${f.properties.id}?`)) return;
            store(features.filter((_, j) => j !== i), `Zone ${f.properties.id} deleted.`);
          }}, 'Delete')))))));
    map.replaceChildren(zoneMap(features));
  };

  const id = h('input', {id: 'zone-id', name: 'id', maxlength: 64});
  const name = h('input', {id: 'zone-name', name: 'name', maxlength: 200});
  const geometry = h('textarea', {id: 'zone-geometry', name: 'geometry', spellcheck: 'false', rows: 8,
    placeholder: '{"type": "Polygon", "coordinates": [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.3, 52.5]]]}'});
  const form = h('form', {class: 'card form', id: 'zone-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    let feature;
    try {
      feature = featureFrom(geometry.value, id.value.trim(), name.value.trim());
    } catch (err) {
      showError(status, err);
      return;
    }
    if (await store([...(zones.features || []), feature], `Zone ${feature.properties.id} added.`)) form.reset();
  }},
    h('h2', {}, 'Add a zone'),
    h('div', {class: 'row'}, field('Id', id), field('Name', name)),
    field('GeoJSON Polygon, MultiPolygon or Feature', geometry, 'Rings are closed: the last position equals the first. [longitude, latitude].'),
    h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'zone-add'}, 'Add zone')));

  main.replaceChildren(h('h1', {}, 'Zones'), status, h('div', {class: 'split'}, h('div', {}, list, form), map));
  render();
}
