// The idea form (templates/ideas/new.html), enhanced: while the problem and the idea are typed,
// similar ideas and lessons are shown under them, each idea with a button to support it instead
// (a submit button of the same form, as the page without JavaScript has). Everything works
// without this script: the server shows the same list when the form is sent.
(function () {
  "use strict";
  var form = document.getElementById("idea-form");
  var live = document.getElementById("similar-live");
  if (!form || !live || !window.fetch || document.getElementById("similar")) { return; }
  var fields = [form.elements.problem, form.elements.idea];
  var timer = null;
  var last = "";

  function element(name, text) {
    var node = document.createElement(name);
    if (text) { node.textContent = text; }
    return node;
  }

  function show(found) {
    live.textContent = "";
    if (!found.ideas.length && !found.lessons.length) { return; }
    var section = element("section");
    section.className = "similar";
    section.appendChild(element("h2", form.dataset.labelHeading));
    if (found.ideas.length) {
      var ideas = element("ul");
      found.ideas.forEach(function (idea) {
        var item = element("li");
        item.appendChild(element("p", idea.idea));
        var facts = element("p", idea.state + " · " + idea.supporters + " " + form.dataset.labelSupporters);
        facts.className = "muted";
        item.appendChild(facts);
        var button = element("button", form.dataset.labelSupport);
        button.type = "submit";
        button.name = "support";
        button.value = String(idea.id);
        item.appendChild(button);
        ideas.appendChild(item);
      });
      section.appendChild(ideas);
    }
    if (found.lessons.length) {
      section.appendChild(element("h3", form.dataset.labelLessons));
      var lessons = element("ul");
      found.lessons.forEach(function (lesson) { lessons.appendChild(element("li", lesson.title)); });
      section.appendChild(lessons);
    }
    live.appendChild(section);
  }

  function look() {
    var text = fields.map(function (field) { return field ? field.value : ""; }).join(" ").trim();
    if (text.length < 8 || text === last) { return; }
    last = text;
    fetch(form.dataset.similarUrl + "?q=" + encodeURIComponent(text.slice(0, 2000)), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) { if (found) { show(found); } })
      .catch(function () { /* the server shows them on sending */ });
  }

  fields.forEach(function (field) {
    if (!field) { return; }
    field.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(look, 600);
    });
  });
}());
