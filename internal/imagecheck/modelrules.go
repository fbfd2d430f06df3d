package imagecheck

import "github.com/imagegen/imagegen-operator/internal/models"

// RulesFor are the registry's edit-input rules of m as this package takes
// them: the one translation the controller and the MCP/REST front door
// both check inputs with, so they cannot disagree about a model.
func RulesFor(m models.Model) Rules {
	return Rules{
		MaxBytes:             m.MaxInputBytes,
		MaxMaskBytes:         m.MaxMaskBytes,
		Square:               m.SquareInput,
		MaxSide:              m.MaxInputSide,
		Formats:              m.InputFormats,
		TransparencyOptional: !m.TransparentInput,
	}
}
