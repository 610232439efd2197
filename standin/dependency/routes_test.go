package dependency

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// allRoutes are every dependency route a values file can point a check at.
var allRoutes = []string{
	RouteOllamaTags, RouteOllamaVersion, RouteOpenAIModels, RouteModels, RouteQdrantReady,
	RouteTEIHealth, RouteChromaV2, RouteChromaV1, RouteElasticHealth, RouteMilvusHealth, RouteRoot,
}

// A stand-in in mode up, with two models, is asked on every dependency route.
// Each answers 200 with the body its real service's check looks for.
func TestEveryDependencyAnswersLikeTheRealServiceWhenUp(t *testing.T) {
	t.Parallel()
	o := testOptions()
	o.Models = []string{"qwen2.5:7b", "bge-m3"}
	h := start(t, o)

	cases := []struct {
		path     string
		contains string
	}{
		{RouteOllamaVersion, `"version"`},
		{RouteQdrantReady, "all shards are ready"},
		{RouteTEIHealth, ""},
		{RouteChromaV2, `"nanosecond heartbeat"`},
		{RouteChromaV1, `"nanosecond heartbeat"`},
		{RouteElasticHealth, `"status":"green"`},
		{RouteMilvusHealth, "OK"},
		{RouteRoot, "dependency stand-in"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := get(h.s.URL()+tc.path, waitLimit)
			require.NoError(t, r.err)
			assert.Equal(t, http.StatusOK, r.code)
			assert.Contains(t, r.body, tc.contains)
		})
	}

	t.Run("ollama lists the models", func(t *testing.T) {
		r := get(h.s.URL()+RouteOllamaTags, waitLimit)
		require.NoError(t, r.err)
		var tags struct {
			Models []struct{ Name, Model string }
		}
		require.NoError(t, json.Unmarshal([]byte(r.body), &tags))
		require.Len(t, tags.Models, 2)
		assert.Equal(t, "qwen2.5:7b", tags.Models[0].Name)
		assert.Equal(t, "bge-m3", tags.Models[1].Model)
	})
	for _, path := range []string{RouteOpenAIModels, RouteModels} {
		t.Run("openai lists the models on "+path, func(t *testing.T) {
			r := get(h.s.URL()+path, waitLimit)
			require.NoError(t, r.err)
			var list struct {
				Object string
				Data   []struct{ ID, Object string }
			}
			require.NoError(t, json.Unmarshal([]byte(r.body), &list))
			assert.Equal(t, "list", list.Object)
			require.Len(t, list.Data, 2)
			assert.Equal(t, "qwen2.5:7b", list.Data[0].ID)
			assert.Equal(t, "model", list.Data[1].Object)
		})
	}
	t.Run("unknown path", func(t *testing.T) {
		r := get(h.s.URL()+"/api/generate", waitLimit)
		require.NoError(t, r.err)
		assert.Equal(t, http.StatusNotFound, r.code)
	})
}
