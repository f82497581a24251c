import { SpecError } from './errors.js';

/** An image reference split the way docker's reference grammar does. */
export interface ImageReference {
  /** Registry host[:port], when the first path part names one ("registry:5000"). */
  domain?: string;
  /** Repository path without the domain ("library/busybox", "a/b"). */
  path: string;
  tag?: string;
  digest?: string;
  /** True for a bare image id ("sha256:<64 hex>"), which has no path. */
  isId: boolean;
}

const NAME_MAX = 255;
// Grammar pieces from docker's distribution/reference.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(`^${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[_.]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const IMAGE_ID = /^sha256:[0-9a-f]{64}$/;

/**
 * Parses `[domain/]path[:tag][@digest]`, or an image id `sha256:<64 hex>`.
 * Throws SpecError (field "image") saying which part is wrong.
 */
export function parseImageReference(ref: string): ImageReference {
  const fail = (why: string): never => {
    throw new SpecError('image', `invalid image reference ${JSON.stringify(ref)}: ${why}`);
  };
  if (typeof ref !== 'string') fail('must be a string');
  if (ref === '') fail('must not be empty');
  if (IMAGE_ID.test(ref)) return { path: '', digest: ref, isId: true };
  if (/\s/.test(ref)) fail('must not contain whitespace');

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`digest ${JSON.stringify(digest)} is invalid (expected algorithm:hex, e.g. sha256:<64 hex>)`);
  }

  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag ${JSON.stringify(tag)} is invalid (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }

  if (rest === '') fail('repository name is empty');
  if (rest.length > NAME_MAX) fail(`repository name is longer than ${NAME_MAX} characters`);

  const parts = rest.split('/');
  let domain: string | undefined;
  const first = parts[0] ?? '';
  // As docker: the first part is a registry only if it looks like a host.
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    domain = first;
    parts.shift();
    if (!DOMAIN.test(domain)) fail(`registry ${JSON.stringify(domain)} is invalid`);
  }
  for (const part of parts) {
    if (part === '') fail('repository name has an empty path component');
    if (part !== part.toLowerCase()) fail('repository name must be lowercase');
    if (!PATH_COMPONENT.test(part)) fail(`path component ${JSON.stringify(part)} is invalid (lowercase letters and digits, separated by ".", "_", "__" or "-")`);
  }

  const out: ImageReference = { path: parts.join('/'), isId: false };
  if (domain !== undefined) out.domain = domain;
  if (tag !== undefined) out.tag = tag;
  if (digest !== undefined) out.digest = digest;
  return out;
}
