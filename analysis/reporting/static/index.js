/* The index page: language switch (remembered in localStorage, shared with the report pages),
   sortable table (click a header; on a phone, the "sort by" list), no external script. */
(function () {
  var KEY = 'reports-lang', body = document.body;
  function setLang(l) {
    body.classList.toggle('en', l === 'en');
    document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN';
    try { localStorage.setItem(KEY, l); } catch (e) {}
  }
  var saved = null;
  try { saved = localStorage.getItem(KEY); } catch (e) {}
  if (saved === 'en' || saved === 'zh') setLang(saved);
  var button = document.getElementById('lang');
  if (button) button.addEventListener('click', function () { setLang(body.classList.contains('en') ? 'zh' : 'en'); });

  var table = document.querySelector('table.sortable');
  if (!table) return;
  var heads = table.querySelectorAll('thead th');
  function sortBy(col, asc) {
    var tbody = table.tBodies[0], rows = Array.prototype.slice.call(tbody.rows);
    heads.forEach(function (h) { h.removeAttribute('data-dir'); });
    heads[col].setAttribute('data-dir', asc ? 'asc' : 'desc');
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute('data-v'), y = b.cells[col].getAttribute('data-v');
      if (x === '' && y !== '') return 1;
      if (y === '' && x !== '') return -1;
      var nx = parseFloat(x), ny = parseFloat(y);
      var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y), 'zh');
      return asc ? c : -c;
    });
    rows.forEach(function (r) { tbody.appendChild(r); });
  }
  heads.forEach(function (th, col) {
    th.addEventListener('click', function () { sortBy(col, th.getAttribute('data-dir') !== 'asc'); });
  });
  var select = document.getElementById('sort');
  if (select) select.addEventListener('change', function () {
    var v = select.value.split(':');
    if (v[0] !== '') sortBy(parseInt(v[0], 10), v[1] === 'asc');
  });
})();
