package controllers

import (
	"fmt"
	"strings"

	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// rejectionMessage is status.message for a call the upstream refused for
// good: what a user needs to fix it, the upstream's own words after.
// offered lists the models the operator's policy allows now.
func rejectionMessage(model string, offered []string, e *upstream.Error) string {
	detail := "upstream rejected the request: " + e.Error()
	switch {
	case e.Kind == upstream.KindModelUnavailable:
		return fmt.Sprintf("the upstream does not serve model %q (retired or not available to this key); models this operator offers: %s; %s",
			model, strings.Join(offered, ", "), detail)
	case e.Kind == upstream.KindContentPolicy && len(e.SafetyCategories) > 0:
		return fmt.Sprintf("the upstream's safety system blocked the request (categories: %s); %s",
			strings.Join(e.SafetyCategories, ", "), detail)
	case e.Kind == upstream.KindInvalidRequest && e.Param != "" && isParameterRefusal(e.Code):
		return fmt.Sprintf("the upstream does not accept parameter %q for model %q; %s", e.Param, model, detail)
	}
	return detail
}

// isParameterRefusal reports whether code says a parameter is not taken
// at all (as opposed to a bad value for it).
func isParameterRefusal(code string) bool {
	return code == "unknown_parameter" || code == "unsupported_parameter"
}
