/* The chain-rule workbench: an expression, a slider per variable, the engine's graph with
 * values and gradients, both passes step by step, the nudge check and a quiz. */
(function () {
  'use strict';
  var S = window.Studio;
  var el = function (id) { return document.getElementById(id); };
  var pz = null, svg = null, reply = null, position = 0, values = {}, expression = null;
  var quiz = {pending: [], step: -1, right: 0, asked: 0};

  function total() { return reply && reply.forward ? reply.forward.length + reply.backward.length : 0; }

  function payload() {
    return {expression: el('wb-expression').value, values: values, h: Number(el('wb-h').value) || 0.001};
  }

  var send = S.Latest(function (body) { return S.api('/api/workbench', body); }, received, function (err) {
    S.showError('wb-error', err.message);
  });

  function received(r) {
    S.showError('wb-error', '');
    var same = expression === r.expression && reply && reply.forward && r.forward &&
               total() === r.forward.length + r.backward.length;
    var wasAt = position, wasEnd = position === total();
    reply = r; expression = r.expression;
    (r.variables || []).forEach(function (v) { values[v.name] = S.num(v.value); });
    variables(r, same);
    el('wb-value').textContent = r.output + ' = ' + S.fmt(r.value);
    if (r.message) {
      el('wb-text').textContent = r.message;
      pz.setContent(null); svg = null;
      el('wb-nudge').innerHTML = '';
      counter();
      return;
    }
    svg = S.showSvg(pz, r.svg, r.svg_missing, same);
    if (svg) { svg.id = 'wb-svg'; }
    problems(r.problems || []);
    nudge(r.nudge || []);
    if (!same) { quiz.pending = []; quiz.step = -1; }
    show(same && !wasEnd ? wasAt : total());
  }

  /* One row per variable: a slider, a number field and its gradient. */
  function variables(r, same) {
    var box = el('wb-variables');
    if (!same || box.children.length !== r.variables.length) {
      box.innerHTML = '';
      r.variables.forEach(function (v) {
        var value = S.num(v.value);
        var row = document.createElement('div');
        row.className = 'variable';
        row.innerHTML = '<span class="name"></span><input type="range" step="0.01"><input type="number" step="any">' +
                        '<span class="grad"></span>';
        row.querySelector('.name').textContent = v.name;
        var slider = row.querySelector('input[type=range]'), field = row.querySelector('input[type=number]');
        slider.id = 'wb-slider-' + v.name; field.id = 'wb-field-' + v.name;
        row.querySelector('.grad').id = 'wb-grad-' + v.name;
        slider.min = Math.floor(Math.min(-5, value - 5)); slider.max = Math.ceil(Math.max(5, value + 5));
        slider.value = value; field.value = value;
        slider.addEventListener('input', function () {
          field.value = slider.value; values[v.name] = Number(slider.value); send(payload());
        });
        field.addEventListener('change', function () {
          var x = Number(field.value);
          if (field.value.trim() === '' || !Number.isFinite(x)) {
            S.showError('wb-error', 'the value of ' + v.name + ' must be a number, got "' + field.value + '"');
            return;
          }
          if (x < Number(slider.min)) { slider.min = Math.floor(x - 1); }
          if (x > Number(slider.max)) { slider.max = Math.ceil(x + 1); }
          slider.value = x; values[v.name] = x; send(payload());
        });
        box.appendChild(row);
      });
    }
    r.variables.forEach(function (v) {
      el('wb-grad-' + v.name).textContent = '∂' + r.output + '/∂' + v.name + ' = ' + S.fmt(v.grad);
    });
  }

  function problems(list) {
    var box = el('wb-problems');
    box.innerHTML = '';
    list.forEach(function (p) {
      var li = document.createElement('li');
      li.textContent = (p.pass === 'forward' ? 'forward pass: ' : 'backward pass: ') + p.message;
      box.appendChild(li);
      var node = svg && svg.querySelector('#' + p.node);
      if (node) { node.classList.add('bad'); }
    });
    box.hidden = !list.length;
  }

  function nudge(list) {
    var rows = ['<tr><th>var</th><th>∂f/∂a·h</th><th>f(a+h)−f(a)</th></tr>'];
    list.forEach(function (n) {
      rows.push('<tr><td>' + n.name + '</td><td id="wb-predicted-' + n.name + '">' + S.fmt(n.predicted, 5) +
                '</td><td id="wb-actual-' + n.name + '">' + S.fmt(n.actual, 5) + '</td></tr>');
    });
    el('wb-nudge').innerHTML = rows.join('');
  }

  /* Position k of the timeline: 0 before the forward pass, 1..F forward steps, F+1..F+B
   * backward steps. The picture shows exactly what the text has told so far. */
  function show(k) {
    if (!reply || !reply.forward) { return; }
    var F = reply.forward.length, B = reply.backward.length;
    position = Math.max(0, Math.min(F + B, k));
    var shownValues = {}, grads = {}, hot = null, hotEdges = [], text;
    reply.forward.slice(0, Math.min(position, F)).forEach(function (s) { shownValues[s.node] = s.value; });
    var b = Math.max(0, position - F);
    reply.backward.slice(0, b).forEach(function (s, i) {
      Object.keys(s.updates).forEach(function (id) {
        var hidden = i === b - 1 && quiz.step === b && quiz.pending.some(function (q) { return q.to === id; });
        grads[id] = hidden ? {text: 'grad ?', state: 'partial'} : s.updates[id];
      });
    });
    if (position === 0) {
      text = 'Before the forward pass: nothing is computed yet. Next (or →) computes the nodes one by one.';
    } else if (position <= F) {
      var f = reply.forward[position - 1];
      hot = f.node;
      hotEdges = edgesInto(f.node);
      text = 'Forward pass, step ' + position + ' of ' + F + ':\n  ' + f.text;
    } else {
      var s = reply.backward[b - 1];
      hot = s.node; hotEdges = s.edges; text = s.text;
    }
    paint(shownValues, grads, hot, hotEdges);
    el('wb-text').textContent = text;
    counter();
    askQuiz();
  }

  function edgesInto(id) {
    var node = reply.nodes.filter(function (n) { return n.id === id; })[0];
    if (!node || !node.parents) { return []; }
    return node.parents.map(function (_, slot) { return id + 'e' + slot; }).concat(node.op ? [id + 'out'] : []);
  }

  function paint(shownValues, grads, hot, hotEdges) {
    if (!svg) { return; }
    svg.querySelectorAll('.hot').forEach(function (e) { e.classList.remove('hot'); });
    reply.nodes.forEach(function (n) {
      var g = svg.querySelector('#' + n.id);
      if (!g) { return; }
      var v = g.querySelector('text.value'), gr = g.querySelector('text.grad');
      if (v) {
        v.textContent = shownValues[n.id] || 'value —';
        v.classList.toggle('unknown', !shownValues[n.id]);
      }
      if (gr) {
        var known = grads[n.id];
        gr.textContent = known ? known.text : 'grad —';
        gr.classList.toggle('unknown', !known);
        gr.classList.toggle('partial', !!known && known.state === 'partial');
      }
    });
    if (hot) {
      [hot, hot + 'op'].forEach(function (id) { var g = svg.querySelector('#' + id); if (g) { g.classList.add('hot'); } });
    }
    hotEdges.forEach(function (id) { var e = svg.querySelector('#' + id); if (e) { e.classList.add('hot'); } });
  }

  function counter() {
    var F = reply && reply.forward ? reply.forward.length : 0, n = total();
    var where = position === 0 ? 'before the forward pass' : position <= F ? 'forward ' + position + '/' + F :
                'backward ' + (position - F) + '/' + (n - F);
    el('wb-counter').textContent = n ? 'step ' + position + ' of ' + n + ' (' + where + ')' : '';
    el('wb-prev').disabled = position === 0;
    el('wb-next').disabled = position >= n;
    el('wb-start').disabled = position === 0;
    el('wb-end').disabled = position >= n;
  }

  /* Quiz: entering a backward step, each gradient it hands on stays hidden ("grad ?")
   * until the student types it. */
  function enterStep(k) {
    var F = reply.forward.length, b = k - F;
    quiz.pending = [];
    quiz.step = -1;
    if (el('wb-quiz').checked && b >= 1 && k === position + 1) {
      var step = reply.backward[b - 1];
      quiz.pending = step.handed.filter(function (h) { return !Array.isArray(h.grad); }).slice();
      quiz.step = b;
    }
    show(k);
  }

  function askQuiz() {
    var box = el('wb-quizbox'), F = reply ? reply.forward.length : 0;
    var active = quiz.pending.length && position - F === quiz.step;
    box.hidden = !active;
    if (!active) { return; }
    var step = reply.backward[quiz.step - 1], q = quiz.pending[0];
    var name = function (id) { return reply.nodes.filter(function (n) { return n.id === id; })[0].name; };
    el('wb-quiz-question').textContent = 'What gradient does ' + name(step.node) + ' hand to ' + name(q.to) +
        '? (∂' + reply.output + '/∂' + name(step.node) + ' = ' + S.fmt(step.upstream) + ')';
    el('wb-quiz-answer').value = '';
    el('wb-quiz-feedback').textContent = '';
    el('wb-quiz-score').textContent = quiz.right + ' right of ' + quiz.asked;
    el('wb-quiz-answer').focus();
  }

  function checkQuiz(reveal) {
    var q = quiz.pending[0];
    if (!q) { return; }
    var want = S.num(q.grad), got = Number(el('wb-quiz-answer').value);
    var right = !reveal && Number.isFinite(got) && Math.abs(got - want) <= 1e-3 * Math.max(1e-3, Math.abs(want));
    var feedback = el('wb-quiz-feedback');
    if (!reveal && !right) {
      feedback.className = 'wrong';
      feedback.textContent = 'Not quite: upstream × the local derivative (' + (reply.backward[quiz.step - 1].text
        .split('\n').filter(function (l) { return l.indexOf('rule') >= 0; })[0] || '').trim() + ')';
      return;
    }
    quiz.asked += 1;
    if (right) { quiz.right += 1; }
    quiz.pending.shift();
    show(position);
    if (!quiz.pending.length) {
      el('wb-quizbox').hidden = false;
      feedback.className = right ? 'right' : '';
      feedback.textContent = right ? 'Right: ' + S.fmt(want) : 'It is ' + S.fmt(want);
      el('wb-quiz-question').textContent = 'Step done.';
      el('wb-quiz-score').textContent = quiz.right + ' right of ' + quiz.asked;
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    pz = PanZoom.attach(el('wb-graph'), {minFit: 0.5});
    el('wb-form').addEventListener('submit', function (e) { e.preventDefault(); send(payload()); });
    el('wb-examples').addEventListener('change', function () {
      if (this.value) { el('wb-expression').value = this.value; this.value = ''; send(payload()); }
    });
    el('wb-h').addEventListener('change', function () { send(payload()); });
    el('wb-start').addEventListener('click', function () { show(0); });
    el('wb-end').addEventListener('click', function () { quiz.pending = []; show(total()); });
    el('wb-prev').addEventListener('click', function () { quiz.pending = []; show(position - 1); });
    el('wb-next').addEventListener('click', function () { enterStep(position + 1); });
    el('wb-quiz-check').addEventListener('click', function () { checkQuiz(false); });
    el('wb-quiz-reveal').addEventListener('click', function () { checkQuiz(true); });
    el('wb-quiz-answer').addEventListener('keydown', function (e) {
      if (e.key === 'Enter') { e.preventDefault(); checkQuiz(false); }
    });
    document.addEventListener('keydown', function (e) {
      if (el('workbench').hidden || /INPUT|SELECT|TEXTAREA/.test(document.activeElement.tagName)) { return; }
      if (document.activeElement.classList.contains('pz-box')) { return; }
      if (e.key === 'ArrowRight') { enterStep(position + 1); }
      if (e.key === 'ArrowLeft') { quiz.pending = []; show(position - 1); }
    });
    document.addEventListener('room', function (e) { if (e.detail === 'workbench' && pz) { pz.fit(); } });
    send(payload());
  });
})();
