package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the routes of New; TestOpenAPIRoutes keeps the
// two in sync, and the end-to-end tests check every response against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the OpenAPI 3.1 description of the API.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI answers GET /openapi.json, without authentication.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(openAPIDocument)
}
