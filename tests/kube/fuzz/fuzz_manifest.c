/*
 * libFuzzer target: any bytes through the manifest path a stack takes
 * (network-custom reads manifests users write). Every document that
 * converts must be JSON yajl accepts; turned back into YAML (what
 * `pharos kubeconfig` and friends print) and converted again it must give
 * the same canonical JSON. Anything else is a bug and aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kube/json.h"
#include "kube/json_yaml.h"
#include "kube/yaml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *canonical_of(const char *json)
{
        char msg[256];
        yajl_val v = json_parse(json, msg, sizeof(msg));
        if (!v)
                abort(); /* yaml_to_json produced text that is not JSON */
        char *c = json_canonical(v);
        yajl_tree_free(v);
        return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct json_docs docs = {0};
        struct pharos_error err = {0};
        if (yaml_to_json((const char *)data, size, "fuzz.yml", &docs, &err) < 0)
                return 0;
        for (size_t i = 0; i < docs.n; i++) {
                char msg[256];
                yajl_val v = json_parse(docs.json[i], msg, sizeof(msg));
                if (!v)
                        abort();
                char *first = json_canonical(v);
                char *yaml = json_to_yaml(v);
                yajl_tree_free(v);
                if (!first || !yaml)
                        abort();
                struct json_docs again = {0};
                if (yaml_to_json(yaml, strlen(yaml), "again.yml", &again, &err) < 0 || again.n != 1)
                        abort(); /* the YAML pharos writes does not read back */
                char *second = canonical_of(again.json[0]);
                if (!second || strcmp(first, second) != 0)
                        abort(); /* not a fixed point: a value changed type or content */
                free(first);
                free(second);
                free(yaml);
                json_docs_free(&again);
        }
        json_docs_free(&docs);
        return 0;
}
