// Command kstatus prints the kstatus result (sigs.k8s.io/cli-utils/pkg/kstatus),
// the library Flux and kpt use to decide health, for every object in the JSON
// on standard input: one object or a List, as `kubectl get -o json` prints.
// Output: one line per object, "<kind>/<name> <status> <message>".
package main

import (
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	// Kubernetes' JSON decoding: integers stay int64, as kstatus expects.
	"k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

func main() {
	input, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading standard input: %v", err)
	}
	var object map[string]interface{}
	if err := json.Unmarshal(input, &object); err != nil {
		fail("standard input is not a JSON object: %v", err)
	}
	objects := []map[string]interface{}{object}
	if items, ok := object["items"].([]interface{}); ok {
		objects = objects[:0]
		for _, item := range items {
			if itemObject, ok := item.(map[string]interface{}); ok {
				objects = append(objects, itemObject)
			}
		}
	}
	for _, item := range objects {
		u := &unstructured.Unstructured{Object: item}
		result, err := status.Compute(u)
		if err != nil {
			fail("computing the status of %s/%s: %v", u.GetKind(), u.GetName(), err)
		}
		fmt.Printf("%s/%s %s %s\n", u.GetKind(), u.GetName(), result.Status, result.Message)
	}
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "kstatus: "+format+"\n", args...)
	os.Exit(1)
}
