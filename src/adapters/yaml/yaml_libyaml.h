/* The YAML port on libyaml: the only code that includes yaml.h. */
#ifndef CHIMERA_ADAPTERS_YAML_LIBYAML_H
#define CHIMERA_ADAPTERS_YAML_LIBYAML_H

#include "ports/yaml.h"

/*
 * libyaml's event parser as a struct yaml_parser: the tree is built from the events, with
 * nothing printed, duplicate keys kept, the first document read and a second one noticed
 * (read to its end, so an error in it counts). Static: never freed.
 */
extern const struct yaml_parser yaml_libyaml_parser;

#endif
