/* The YAML port on libfyaml: the only code that includes libfyaml.h. */
#ifndef CHIMERA_ADAPTERS_YAML_FY_H
#define CHIMERA_ADAPTERS_YAML_FY_H

#include "ports/yaml.h"

/*
 * libfyaml as a struct yaml_parser: errors are collected (nothing printed), duplicate keys
 * kept, the first document read and a second one noticed. Static: never freed.
 */
extern const struct yaml_parser yaml_fy_parser;

#endif
