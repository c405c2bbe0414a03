// While a background job runs, its page asks for itself again every few seconds and puts the
// new progress in place, keeping the reader's place and focus (no page reload, which axe-core and
// WCAG 2.2.1 rightly object to). When the job's state changes (done, failed, cancelling), the page
// is loaded anew to show the outcome. Without JavaScript, "Update now" does this by hand.
(function () {
  var section = document.querySelector('section.job[data-refresh]');
  if (!section || !window.fetch || !window.DOMParser) return;
  var seconds = parseInt(section.getAttribute('data-refresh'), 10) || 3;
  Array.prototype.forEach.call(document.querySelectorAll('[data-scripted]'), function (el) { el.hidden = false; });
  Array.prototype.forEach.call(document.querySelectorAll('[data-unscripted]'), function (el) { el.hidden = true; });

  function same(fresh, selector) {
    var now = section.querySelector(selector), next = fresh.querySelector(selector);
    if (!now || !next) return;
    if (now.tagName === 'PROGRESS') {
      now.max = next.max;
      now.value = next.value;
      now.textContent = next.textContent;
    } else if (now.textContent !== next.textContent) {
      now.textContent = next.textContent;
    }
  }

  function update() {
    fetch(window.location.href, {credentials: 'same-origin', headers: {'Accept': 'text/html'}})
      .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').querySelector('section.job');
        if (!fresh || !fresh.hasAttribute('data-refresh') ||
            fresh.getAttribute('data-key') !== section.getAttribute('data-key')) {
          window.location.reload();
          return;
        }
        same(fresh, '#job-progress');
        same(fresh, '#job-progress-text');
        window.setTimeout(update, seconds * 1000);
      })
      .catch(function () { window.setTimeout(update, seconds * 4000); });  // offline a moment: try again later
  }
  window.setTimeout(update, seconds * 1000);
})();
