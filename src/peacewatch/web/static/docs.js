// Swagger UI for /openapi.json, from the app's own copy (no CDN, no validator call-out).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
});
