// Package dallesim serves a faithful simulation of OpenAI's DALL-E 2 Images API.
package dallesim
