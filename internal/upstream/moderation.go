package upstream

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/openai/openai-go/v3"
)

// moderationDetails is error.moderation_details of a moderation_blocked
// answer from the GPT image models (openai-go v3 has no field for it; it
// arrives among the error's extra fields).
type moderationDetails struct {
	Stage      string   `json:"moderation_stage"`
	Categories []string `json:"categories"`
}

// safetyViolations matches the list the real API appends to a
// moderation_blocked message: "... safety_violations=[violence, sexual]."
var safetyViolations = regexp.MustCompile(`safety_violations=\[([^\]]*)\]`)

// safetyCategories are the categories a content-policy refusal names:
// moderation_details when the body has it, else the message's
// safety_violations list; nil when neither names any (DALL-E 2's
// content_policy_violation names none).
func safetyCategories(apiErr *openai.Error) []string {
	if f, ok := apiErr.JSON.ExtraFields["moderation_details"]; ok {
		var d moderationDetails
		if err := json.Unmarshal([]byte(f.Raw()), &d); err == nil && len(d.Categories) > 0 {
			return d.Categories
		}
	}
	return parseSafetyViolations(apiErr.Message)
}

// parseSafetyViolations reads the safety_violations=[...] list of message.
func parseSafetyViolations(message string) []string {
	m := safetyViolations.FindStringSubmatch(message)
	if m == nil {
		return nil
	}
	var out []string
	for _, c := range strings.Split(m[1], ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}
