// Stored tags → the contract's Tag shape: owner and change history for tag managers only, the
// field controls (showFields / hideFields; `id` always kept), instants in the acting user's zone.
import type { components } from '../../generated/api.d.ts';
import type { Tag as TagRow } from '../../generated/prisma-sqlite/client.ts';
import { Errors } from '../errors/registry.ts';
import { formatInstant } from '../lib/dates.ts';

type Tag = components['schemas']['Tag'];

export const TAG_FIELDS = ['id', 'name', 'description', 'parent', 'private', 'owner', 'created_on', 'created_by', 'updated_on'] as const;

export interface TagFields {
  /** null: every field. */
  show: Set<string> | null;
  hide: Set<string>;
}

export interface TagProjection {
  zone: string;
  /** The caller holds manageTags: owner, created_on, created_by and updated_on are shown. */
  full: boolean;
  fields: TagFields;
}

export const EVERY_TAG_FIELD: TagFields = { show: null, hide: new Set() };

function fieldList(parameter: string, value: unknown): Set<string> | null {
  if (value === undefined || value === null || value === '') return null;
  const names = (Array.isArray(value) ? value : String(value).split(',')).map((name) => String(name).trim()).filter(Boolean);
  for (const field of names) {
    if (!(TAG_FIELDS as readonly string[]).includes(field)) throw Errors.unknownField({ parameter, field });
  }
  return new Set(names);
}

/** The field controls of a request (query merged with a SEARCH body); unknown names answer 400. */
export function tagFields(source: Record<string, unknown>): TagFields {
  return { show: fieldList('showFields', source.showFields), hide: fieldList('hideFields', source.hideFields) ?? new Set() };
}

export function projectTag(tag: TagRow, context: TagProjection): Tag {
  const all: Tag = {
    id: tag.id,
    name: tag.name,
    description: tag.description,
    parent: tag.parentId,
    private: tag.private,
    ...(context.full
      ? { owner: tag.ownerId, created_on: formatInstant(tag.createdOn, context.zone), created_by: tag.createdBy, updated_on: formatInstant(tag.updatedOn, context.zone) }
      : {}),
  };
  const { show, hide } = context.fields;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(all)) {
    if (field === 'id' || ((!show || show.has(field)) && !hide.has(field))) out[field] = value;
  }
  return out as Tag;
}
