/*
 * Stacks: a named set of Kubernetes objects applied together.
 *
 * Every object gets the label pharos.kontena.io/stack=NAME and the
 * annotation pharos.kontena.io/stack-checksum (SHA-256 of the object as
 * given, keys sorted). Apply creates missing objects, patches those whose
 * checksum changed (a JSON merge patch that also removes the fields the last
 * applied version had and this one dropped), and leaves the rest alone: a
 * second apply of the same stack sends no write. The stack's inventory
 * lives in ConfigMap kube-system/pharos-stack-NAME; objects that were in it
 * and are no longer in the stack are deleted (pruned) if they still carry
 * the stack's label.
 */
#ifndef PHAROS_CORE_KUBE_STACK_H
#define PHAROS_CORE_KUBE_STACK_H

#include <yajl/yajl_tree.h>

#include "kube/client.h"
#include "kube/yaml_json.h"
#include "util/error.h"

#define STACK_LABEL        "pharos.kontena.io/stack"
#define STACK_CHECKSUM     "pharos.kontena.io/stack-checksum"
#define STACK_LAST_APPLIED "pharos.kontena.io/last-applied"

/* What an apply or delete did. */
struct stack_stats {
        unsigned created, updated, unchanged, pruned;
};

int stack_apply(struct kube_client *kc, const char *stack, const struct json_docs *docs,
                struct stack_stats *st, struct pharos_error *err);

/* 1 when stack_apply of docs would write anything (an object missing or changed,
 * one to prune, the inventory), 0 when the cluster has the stack as given, <0 on
 * error. Reads only: for `pharos up --plan` and steps that run only when needed. */
int stack_differs(struct kube_client *kc, const char *stack, const struct json_docs *docs,
                  struct pharos_error *err);

/* Deletes every object of the stack and its inventory. */
int stack_delete(struct kube_client *kc, const char *stack, struct stack_stats *st,
                 struct pharos_error *err);

/* Body and patch construction, exposed for unit tests. Results are malloc'd. */
char *stack_object_body(yajl_val obj, const char *stack, const char *checksum,
                        const char *canonical);
char *stack_merge_patch(yajl_val want, yajl_val last_applied);

#endif
