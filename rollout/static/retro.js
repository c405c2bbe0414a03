// Drag a card onto a theme (or back among the cards in no theme) to group it: the
// drop fills in and sends the board's own "Move the chosen cards" form, so the server
// does exactly what it does without JavaScript. Cards already chosen go along.
(function () {
  var form = document.getElementById('group-form');
  var target = document.getElementById('target');
  if (!form || !target || !('draggable' in document.createElement('li'))) return;
  var script = document.currentScript;
  var dragged = null;

  function chooser(card) { return card.querySelector('input[name=cards]'); }

  function dropOn(zone, value) {
    zone.addEventListener('dragover', function (event) {
      if (!dragged) return;
      event.preventDefault();
      zone.classList.add('drop-here');
    });
    zone.addEventListener('dragleave', function () { zone.classList.remove('drop-here'); });
    zone.addEventListener('drop', function (event) {
      if (!dragged) return;
      event.preventDefault();
      zone.classList.remove('drop-here');
      chooser(dragged).checked = true;
      target.value = value;
      if (form.requestSubmit) form.requestSubmit(); else form.submit();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('li.retro-card'), function (card) {
    if (!chooser(card)) return;
    card.setAttribute('draggable', 'true');
    card.addEventListener('dragstart', function (event) {
      dragged = card;
      card.classList.add('dragging');
      event.dataTransfer.effectAllowed = 'move';
      event.dataTransfer.setData('text/plain', chooser(card).value);
    });
    card.addEventListener('dragend', function () { card.classList.remove('dragging'); dragged = null; });
  });
  Array.prototype.forEach.call(document.querySelectorAll('li.retro-theme'), function (theme) {
    dropOn(theme, theme.id.replace('theme-', ''));
  });
  var loose = document.getElementById('loose-cards');
  if (loose) dropOn(loose, 'none');
  var hint = document.querySelector('#group-form .hint');
  if (hint && script && script.dataset.hint) hint.textContent += ' ' + script.dataset.hint;
})();
