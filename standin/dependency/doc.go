// Package dependency is one stand-in for every service Kotaemon calls out to (Ollama,
// an OpenAI-compatible API, Qdrant, TEI, Chroma, Elasticsearch, Milvus), so a values file
// can point every dependency check at it and the deploy suite can take them all up,
// down, flapping or hung from one control port.
package dependency
