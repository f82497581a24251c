export { Template, type ExecuteOptions, type ParseOptions } from './template.js';
export { TemplateParseError } from './parser.js';
export { TemplateExecError, type MissingKey } from './exec.js';
export { DOCKER_FUNCS, GO_BUILTINS, FuncError, type FuncDef, type FuncMap } from './funcs.js';
export { GO_JSON, GO_TYPE, GoMethod, goStruct, isGoStruct, typeName, type GoStructValue, type ParamKind } from './values.js';
export { marshalGoJson, type MarshalOptions } from './marshal.js';
export { formatValue, sprint, sprintln } from './print.js';
export { sprintf } from './printf.js';
