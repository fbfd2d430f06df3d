package controllers

import (
	"fmt"

	imagesv1alpha1 "github.com/imagegen/imagegen-operator/api/v1alpha1"
	"github.com/imagegen/imagegen-operator/internal/models"
	"github.com/imagegen/imagegen-operator/internal/upstream"
)

// paidCost is what a successful call cost and the usage it was priced
// from.
type paidCost struct {
	// usd is the cost; meaningless unless known.
	usd   float64
	known bool
	// usage is status.usage; nil when the response had none.
	usage *imagesv1alpha1.TokenUsage
}

// formatted is status.estimatedCostUSD: empty when the cost is unknown,
// rather than a made-up number.
func (c paidCost) formatted() string {
	if !c.known {
		return ""
	}
	return models.FormatUSD(c.usd)
}

// costOf prices res: per-image models by their list price (the usage, if
// any, is still recorded); per-token models from the response's usage. A
// per-token model whose usage is missing or unpriced gives an unknown cost
// and the reason why.
func costOf(model models.Model, size string, res *upstream.Result) (paidCost, error) {
	c := paidCost{usage: statusUsage(res.Usage)}
	if model.PriceModel != models.PricePerToken {
		c.usd, c.known = model.EstimatedCostUSD(size, len(res.Images)), true
		return c, nil
	}
	if res.Usage == nil {
		return c, fmt.Errorf("pricing %s: the response has no usage block", model.Name)
	}
	usd, err := model.UsageCostUSD(models.Usage{
		TextInputTokens:   res.Usage.InputTextTokens,
		ImageInputTokens:  res.Usage.InputImageTokens,
		ImageOutputTokens: res.Usage.OutputImageTokens,
		TextOutputTokens:  res.Usage.OutputTextTokens,
	})
	if err != nil {
		return c, fmt.Errorf("pricing the usage of %s: %w", model.Name, err)
	}
	c.usd, c.known = usd, true
	return c, nil
}

// statusUsage is u as status.usage.
func statusUsage(u *upstream.Usage) *imagesv1alpha1.TokenUsage {
	if u == nil {
		return nil
	}
	return &imagesv1alpha1.TokenUsage{
		InputTokens:      u.InputTokens,
		InputTextTokens:  u.InputTextTokens,
		InputImageTokens: u.InputImageTokens,
		OutputTokens:     u.OutputTokens,
		TotalTokens:      u.TotalTokens,
	}
}
