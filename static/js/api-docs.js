// The API's documentation page: Swagger UI (vendored in static/vendor/swagger-ui) on the
// OpenAPI document named by the container's data-url. Kept out of the page itself, which
// the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui");
  if (!container || typeof window.SwaggerUIBundle === "undefined") { return; }
  window.ui = window.SwaggerUIBundle({
    url: container.getAttribute("data-url"),
    domNode: container,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,  // never send the document to validator.swagger.io
    defaultModelsExpandDepth: 0,
    docExpansion: "list"
  });
}());
