package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	_ "k8s.io/kubernetes/pkg/apis/apps/install"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	_ "k8s.io/kubernetes/pkg/apis/networking/install"
	_ "k8s.io/kubernetes/pkg/apis/policy/install"
	"k8s.io/kubernetes/pkg/registry/apps/deployment"
	"k8s.io/kubernetes/pkg/registry/core/configmap"
	"k8s.io/kubernetes/pkg/registry/core/persistentvolumeclaim"
	"k8s.io/kubernetes/pkg/registry/core/pod"
	"k8s.io/kubernetes/pkg/registry/core/secret"
	"k8s.io/kubernetes/pkg/registry/core/service"
	"k8s.io/kubernetes/pkg/registry/core/serviceaccount"
	"k8s.io/kubernetes/pkg/registry/networking/ingress"
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
	"k8s.io/kubernetes/pkg/registry/policy/poddisruptionbudget"
	"sigs.k8s.io/yaml"
)

// strategies are the create strategies of the kinds a chart renders.
var strategies = map[schema.GroupKind]rest.RESTCreateStrategy{
	{Group: "apps", Kind: "Deployment"}:                 deployment.Strategy,
	{Kind: "Service"}:                                   service.Strategy,
	{Kind: "ConfigMap"}:                                 configmap.Strategy,
	{Kind: "Secret"}:                                    secret.Strategy,
	{Kind: "PersistentVolumeClaim"}:                     persistentvolumeclaim.Strategy,
	{Kind: "ServiceAccount"}:                            serviceaccount.Strategy,
	{Kind: "Pod"}:                                       pod.Strategy,
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}: networkpolicy.Strategy,
	{Group: "networking.k8s.io", Kind: "Ingress"}:       ingress.Strategy,
	{Group: "policy", Kind: "PodDisruptionBudget"}:      poddisruptionbudget.Strategy,
}

// result is what one manifest got: each refusal as "Kind/name: field: reason", and the
// objects no strategy here covers.
type result struct {
	Errors  []string `json:"errors"`
	Skipped []string `json:"skipped,omitempty"`
	Checked int      `json:"checked"`
}

func validateYAML(manifest []byte) result {
	res := result{Errors: []string{}}
	reader := utilyaml.NewYAMLReader(bufioReader(manifest))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return res
		}
		if err != nil {
			res.Errors = append(res.Errors, "reading the manifest: "+err.Error())
			return res
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
			Metadata   struct {
				Name string `json:"name"`
			} `json:"metadata"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil || head.Kind == "" {
			continue // comments only
		}
		gv, _ := schema.ParseGroupVersion(head.APIVersion)
		id := head.Kind + "/" + head.Metadata.Name
		strategy, ok := strategies[schema.GroupKind{Group: gv.Group, Kind: head.Kind}]
		if !ok {
			res.Skipped = append(res.Skipped, id)
			continue
		}
		res.Checked++
		if err := create(strategy, doc); err != nil {
			res.Errors = append(res.Errors, id+": "+err.Error())
		}
	}
}

// create decodes doc as the API server does (defaults, internal version) and runs the
// checks of a create request.
func create(strategy rest.RESTCreateStrategy, doc []byte) error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	obj, _, err := legacyscheme.Codecs.UniversalDecoder().Decode(js, nil, nil)
	if err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	meta, err := metaOf(obj)
	if err != nil {
		return err
	}
	ns := meta.GetNamespace()
	if ns == "" && strategy.NamespaceScoped() {
		ns = metav1.NamespaceDefault
		meta.SetNamespace(ns)
	}
	rest.FillObjectMetaSystemFields(meta)
	ctx := genericapirequest.WithNamespace(context.Background(), ns)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{IsResourceRequest: true, Verb: "create", Namespace: ns})
	if err := rest.BeforeCreate(strategy, ctx, obj); err != nil {
		var status apierrors.APIStatus
		if errors.As(err, &status) && status.Status().Details != nil && len(status.Status().Details.Causes) > 0 {
			var b bytes.Buffer
			for i, c := range status.Status().Details.Causes {
				if i > 0 {
					b.WriteString("; ")
				}
				fmt.Fprintf(&b, "%s: %s", c.Field, c.Message)
			}
			return errors.New(b.String())
		}
		return err
	}
	return nil
}

func metaOf(obj any) (metav1.Object, error) {
	return apimeta.Accessor(obj)
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
