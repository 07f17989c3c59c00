/* Run replay: pick a run the server lists, scrub through its kept epochs. */
(function () {
  'use strict';
  var S = window.Studio;
  var el = function (id) { return document.getElementById(id); };
  var run = null, network = null, pz = null, current = null;

  var fetchFrame = S.Latest(function (index) {
    return S.api('/api/runs/' + encodeURIComponent(run.id) + '/frame?index=' + index + '&point=0');
  }, shown, function (err) { S.showError('rp-error', err.message); });

  function list() {
    S.api('/api/runs').then(function (r) {
      var select = el('rp-runs'), before = select.value;
      select.innerHTML = '';
      r.runs.forEach(function (entry) {
        var o = document.createElement('option');
        o.value = entry.id;
        o.textContent = entry.name + (entry.error ? ' (cannot be replayed)' : ' · ' + entry.epochs + ' epochs');
        o.disabled = !!entry.error;
        o.title = entry.error || entry.model;
        select.appendChild(o);
      });
      S.showError('rp-error', r.message || '');
      var usable = r.runs.filter(function (e) { return !e.error; });
      if (!usable.length) { return; }
      select.value = usable.some(function (e) { return e.id === before; }) ? before : usable[0].id;
      open(select.value);
    }, function (err) { S.showError('rp-error', err.message); });
  }

  function open(id) {
    S.api('/api/runs/' + encodeURIComponent(id)).then(function (r) {
      S.showError('rp-error', '');
      run = r;
      el('rp-model').textContent = r.model;
      var scrub = el('rp-scrub');
      scrub.max = r.epochs.length - 1;
      scrub.value = r.epochs.length - 1;
      network.build(r.layers);
      fetchFrame(scrub.value);
    }, function (err) { S.showError('rp-error', err.message); });
  }

  function shown(f) {
    if (!run) { return; }
    current = f;
    el('rp-epoch').textContent = 'epoch ' + f.epoch + ' of ' + run.epochs[run.epochs.length - 1] +
        (f.loss === null ? '' : ' · loss ' + S.fmt(f.loss, 5));
    el('rp-epoch').dataset.epoch = f.epoch;
    var canvas = el('rp-boundary');
    S.heatmap(canvas, f.view.boundary.data, f.view.boundary.cells, 0.35);
    S.scatter(canvas, run.train, run.window, false, 0);
    network.update(f.view, run.window);
    S.chart(el('rp-loss-chart'), [{name: 'train', points: run.losses}], f.epoch);
    S.showSvg(pz, f.svg, f.svg_missing, pz.layer.firstChild && pz.layer.firstChild.tagName === 'svg');
  }

  var started = false;
  document.addEventListener('DOMContentLoaded', function () {
    network = new S.Network(el('rp-network'), null);
    pz = PanZoom.attach(el('rp-graph'), {minFit: 0.7});
    el('rp-refresh').addEventListener('click', list);
    el('rp-runs').addEventListener('change', function () { open(this.value); });
    el('rp-scrub').addEventListener('input', function () { if (run) { fetchFrame(this.value); } });
    document.addEventListener('room', function (e) {
      if (e.detail !== 'replay') { return; }
      if (!started) { started = true; list(); }
      else if (run && current) { network.build(run.layers); shown(current); }
    });
  });
})();
