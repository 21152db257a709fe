/* The observatory's page helpers, for every app (nothing here knows what an app shows).

   1. PNG export. A button with class "observatory-png" (written by the app) draws what is on
      screen, in the browser: data-target="map" takes the Leaflet map of the app (its polygons
      with their current colours, cut to the visible frame) and the app's legend; "chart"
      takes the app's SVG chart (svg.observatory-chart). The picture gets the title, the
      legend, the source and the attribution of the button's data-* attributes, and is saved
      as data-file. Nothing is drawn by the kernel and nothing is fetched.
   2. Shareable address. An element with data-observatory-query="a=b&c=d" (written by the
      app when its state changes) replaces the page's query string within half a second, so
      the address bar holds a link to what is shown (history.replaceState: no reload, no
      request).
*/
(function () {
  'use strict';

  var FONT = '"DejaVu Sans", Arial, sans-serif';

  function wrapText(context, text, width) {
    var words = String(text || '').split(/\s+/), lines = [], line = '';
    words.forEach(function (word) {
      var probe = line ? line + ' ' + word : word;
      if (context.measureText(probe).width > width && line) { lines.push(line); line = word; }
      else { line = probe; }
    });
    if (line) { lines.push(line); }
    return lines;
  }

  function appRoot(button) {
    return button.closest('.jp-OutputArea, .jp-Cell, body') || document.body;
  }

  function inlineStyles(source, copy) {
    // The polygons are coloured by the app's style sheet: copy the computed colours.
    var from = source.querySelectorAll('path'), to = copy.querySelectorAll('path');
    for (var i = 0; i < from.length && i < to.length; i++) {
      var style = window.getComputedStyle(from[i]);
      ['fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-opacity'].forEach(function (name) {
        to[i].setAttribute(name, style.getPropertyValue(name));
      });
      to[i].removeAttribute('class');
    }
  }

  function svgImage(svg, width, height) {
    var text = new XMLSerializer().serializeToString(svg);
    if (text.indexOf('xmlns=') < 0) {
      text = text.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"');
    }
    return new Promise(function (resolve, reject) {
      var image = new Image(width, height);
      image.onload = function () { resolve(image); };
      image.onerror = function () { reject(new Error('the figure could not be drawn')); };
      image.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(text);
    });
  }

  function mapFigure(root) {
    var container = root.querySelector('.leaflet-container') || document.querySelector('.leaflet-container');
    var svg = container && container.querySelector('.leaflet-overlay-pane svg');
    if (!svg) { return Promise.reject(new Error('no map on the page')); }
    var frame = container.getBoundingClientRect(), box = svg.getBoundingClientRect();
    var copy = svg.cloneNode(true);
    inlineStyles(svg, copy);
    copy.setAttribute('width', box.width);
    copy.setAttribute('height', box.height);
    return svgImage(copy, box.width, box.height).then(function (image) {
      return {
        width: frame.width, height: frame.height, background: '#eef2f5',
        draw: function (context, x, y) {
          context.save();
          context.beginPath();
          context.rect(x, y, frame.width, frame.height);
          context.clip();
          context.drawImage(image, x + box.left - frame.left, y + box.top - frame.top, box.width, box.height);
          context.restore();
        },
        legend: legendRows(root)
      };
    });
  }

  function chartFigure(root) {
    var svg = root.querySelector('svg.observatory-chart') || document.querySelector('svg.observatory-chart');
    if (!svg) { return Promise.reject(new Error('no chart on the page')); }
    var width = Number(svg.getAttribute('width')), height = Number(svg.getAttribute('height'));
    return svgImage(svg.cloneNode(true), width, height).then(function (image) {
      return {
        width: width, height: height, background: '#ffffff',
        draw: function (context, x, y) { context.drawImage(image, x, y, width, height); },
        legend: null
      };
    });
  }

  function legendRows(root) {
    var legend = root.querySelector('.observatory-legend') || document.querySelector('.observatory-legend');
    if (!legend) { return null; }
    var title = legend.querySelector('b');
    var rows = Array.prototype.map.call(legend.querySelectorAll('.observatory-legend-row'), function (row) {
      var swatch = row.querySelector('i');
      return { colour: swatch ? swatch.style.background : '#ffffff', label: row.textContent.trim() };
    });
    return { title: title ? title.textContent : '', rows: rows };
  }

  function compose(figure, data) {
    var pad = 16, legendWidth = figure.legend ? 230 : 0;
    var width = Math.round(figure.width + legendWidth + 3 * pad);
    var measure = document.createElement('canvas').getContext('2d');
    measure.font = 'bold 17px ' + FONT;
    var titleLines = wrapText(measure, data.title, width - 2 * pad);
    measure.font = '12px ' + FONT;
    var footLines = wrapText(measure, data.source, width - 2 * pad)
      .concat(wrapText(measure, data.attribution, width - 2 * pad));
    var top = pad + titleLines.length * 22 + 6;
    var legendHeight = figure.legend ? 24 + figure.legend.rows.length * 18 : 0;
    var bodyHeight = Math.max(figure.height, legendHeight);
    var height = Math.round(top + bodyHeight + pad + footLines.length * 16 + pad);
    var canvas = document.createElement('canvas');
    var scale = 2; // sharp in a report
    canvas.width = width * scale;
    canvas.height = height * scale;
    var context = canvas.getContext('2d');
    context.scale(scale, scale);
    context.fillStyle = '#ffffff';
    context.fillRect(0, 0, width, height);
    context.fillStyle = '#1b1b1b';
    context.font = 'bold 17px ' + FONT;
    titleLines.forEach(function (line, i) { context.fillText(line, pad, pad + 16 + i * 22); });
    context.fillStyle = figure.background;
    context.fillRect(pad, top, figure.width, figure.height);
    figure.draw(context, pad, top);
    if (figure.legend) {
      var x = 2 * pad + figure.width, y = top + 14;
      context.fillStyle = '#1b1b1b';
      context.font = 'bold 12px ' + FONT;
      wrapText(context, figure.legend.title, legendWidth - 8).forEach(function (line) {
        context.fillText(line, x, y); y += 16;
      });
      context.font = '12px ' + FONT;
      figure.legend.rows.forEach(function (row) {
        context.fillStyle = row.colour;
        context.fillRect(x, y - 10, 14, 12);
        context.strokeStyle = '#888888';
        context.strokeRect(x, y - 10, 14, 12);
        context.fillStyle = '#1b1b1b';
        context.fillText(row.label, x + 20, y);
        y += 18;
      });
    }
    context.fillStyle = '#444444';
    context.font = '12px ' + FONT;
    footLines.forEach(function (line, i) {
      context.fillText(line, pad, top + bodyHeight + pad + 12 + i * 16);
    });
    return canvas;
  }

  function save(canvas, name) {
    canvas.toBlob(function (blob) {
      var link = document.createElement('a');
      link.href = URL.createObjectURL(blob);
      link.download = name || 'figure.png';
      document.body.appendChild(link);
      link.click();
      setTimeout(function () { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
    }, 'image/png');
  }

  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('button.observatory-png');
    if (!button) { return; }
    var data = button.dataset, root = appRoot(button);
    var figure = data.target === 'chart' ? chartFigure(root) : mapFigure(root);
    button.disabled = true;
    figure.then(function (found) { save(compose(found, data), data.file); })
      .catch(function (error) { console.warn('PNG export: ' + error.message); })
      .then(function () { button.disabled = false; });
  });

  var lastQuery = null;
  function syncQuery() {
    var marked = document.querySelectorAll('[data-observatory-query]');
    if (!marked.length) { return; }
    var query = marked[marked.length - 1].getAttribute('data-observatory-query');
    if (query === lastQuery) { return; }
    lastQuery = query;
    var url = window.location.pathname + (query ? '?' + query : '');
    if (url !== window.location.pathname + window.location.search) {
      window.history.replaceState(null, '', url);
    }
  }
  // A few cheap checks a second: an observer of the whole document would be told of every
  // node the page builds (the widgets, the map's polygons) and slow the first render down.
  window.setInterval(syncQuery, 400);
})();
