package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/imagegen/imagegen-operator/internal/httpapi"
	"github.com/imagegen/imagegen-operator/internal/imagerequests"
)

// PathModels lists the model registry.
const PathModels = "/models"

// Models is GET /models: the model registry, the same catalog MCP's
// list_models returns (imagerequests.Catalog), with its keys in snake_case
// like every REST answer. It reads only the compiled-in registry, nothing
// of the cluster, so the listener's authentication is all it needs (no
// SubjectAccessReview).
func (s *Handler) Models(w http.ResponseWriter, _ *http.Request) {
	body, err := snakeCaseJSON(imagerequests.Catalog(s.svc.Models(), time.Now()))
	if err != nil {
		record("list_models", imagerequests.OutcomeError)
		s.log.Error(err, "rendering the model catalog")
		httpapi.WriteError(w, http.StatusInternalServerError, httpapi.Error{Code: httpapi.CodeInternal, Message: "rendering the model catalog failed"})
		return
	}
	record("list_models", imagerequests.OutcomeOK)
	httpapi.WriteJSON(w, http.StatusOK, body)
}

// snakeCaseJSON returns v as generic JSON whose object keys are in
// snake_case. The catalog is one Go type shared with MCP (whose answers
// are camelCase); converting keys here rather than declaring a second type
// keeps the two answers the same by construction. Keys that are data, not
// field names (the sizes of perImageUsd such as "1024x1024"), hold no
// capital letter and pass unchanged.
func snakeCaseJSON(v any) (any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding: %w", err)
	}
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		return nil, fmt.Errorf("decoding: %w", err)
	}
	return snakeKeys(generic), nil
}

func snakeKeys(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			out[snakeCase(k)] = snakeKeys(val)
		}
		return out
	case []any:
		for i := range t {
			t[i] = snakeKeys(t[i])
		}
		return t
	default:
		return v
	}
}

// snakeCase turns "maxPromptChars" into "max_prompt_chars" and
// "perImageUsd" into "per_image_usd".
func snakeCase(s string) string {
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
