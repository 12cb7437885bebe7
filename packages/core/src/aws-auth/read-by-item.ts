/** A mapping list read item by item, each item's reading remembered: the fast path of parseAwsAuth. */
import { BoundedMemo } from '../bounded-memo.js';
import type { AwsAuthKey } from './config-map.js';
import type { LiveProblem } from './live-problem.js';
import { combineMappings, type MappingEntry, type MappingItem, type MappingKind, readMappingItem } from './read-mapping.js';
import { readYaml } from './read-yaml.js';
import { ITEM_HEAD, SIMPLE_ARN, STAND_IN } from './stand-in.js';

type Problems = LiveProblem[];

/**
 * The top-level items of a block sequence, when each is closed in itself: the text starts with "- ",
 * every line that does not start an item ("- " at column 0) is indented, and there are no blank
 * lines, tabs or other column-0 content (comments, document markers, directives). Such an item can
 * neither continue into the next nor be changed by it except through an alias, and an alias to an
 * anchor in another item does not read on its own: so reading the list reads each item as it reads
 * alone. Undefined for any other text.
 */
export function closedListItems(text: string): string[] | undefined {
  if (!text.startsWith('- ') || text.includes('\t')) return undefined;
  const items: string[] = [];
  let start = 0;
  let line = 0;
  while (line < text.length) {
    const newline = text.indexOf('\n', line);
    const next = newline === -1 ? text.length : newline + 1;
    if (line > start && text.startsWith('- ', line)) {
      items.push(text.slice(start, line));
      start = line;
    } else if (line > start && text.charCodeAt(line) !== 0x20) {
      return undefined;
    }
    line = next;
  }
  items.push(text.slice(start));
  return items;
}

/** An item's text as its simple ARN and the text with the stand-in in its place; undefined for any other item. */
function withStandIn(kind: MappingKind, item: string): { readonly arn: string; readonly text: string } | undefined {
  const head = ITEM_HEAD[kind];
  if (!item.startsWith(head)) return undefined;
  const newline = item.indexOf('\n', head.length);
  const end = newline === -1 ? item.length : newline;
  const arn = item.slice(head.length, end);
  const rest = item.slice(end);
  if (!SIMPLE_ARN.test(arn) || rest.includes(STAND_IN[kind])) return undefined;
  return { arn, text: `${head}${STAND_IN[kind]}${rest}` };
}

/** Items read alone, by kind and text (a simple ARN replaced by the stand-in). */
const itemMemo = new BoundedMemo<MappingItem<MappingKind> | null>(20_000);

function readItemAlone(key: AwsAuthKey, kind: MappingKind, item: string): MappingItem<MappingKind> | null {
  return itemMemo.get(`${kind}\n${item}`, () => {
    const problems: Problems = [];
    const parsed = readYaml(key, item, problems);
    if (!parsed.ok || problems.length > 0 || !Array.isArray(parsed.value) || parsed.value.length !== 1) return null;
    return readMappingItem<MappingKind>(kind, parsed.value[0]);
  });
}

/** One closed item read alone as a one-item list; null when it does not read cleanly that way (the whole text is then read at once). */
function readClosedItem<K extends MappingKind>(key: AwsAuthKey, kind: K, item: string): MappingItem<K> | null {
  const standIn = withStandIn(kind, item);
  if (standIn === undefined) return readItemAlone(key, kind, item) as MappingItem<K> | null;
  const read = readItemAlone(key, kind, standIn.text);
  if (read === null) return null;
  // The stand-in appears nowhere but where the ARN was: put the ARN back there.
  const back = (text: string): string => text.split(STAND_IN[kind]).join(standIn.arn);
  const entry =
    read.entry === undefined
      ? undefined
      : read.entry.kind === 'role'
        ? { ...read.entry, rolearn: back(read.entry.rolearn) }
        : { ...read.entry, userarn: back(read.entry.userarn) };
  return { entry, problems: read.problems.map((p) => ({ ...p, message: back(p.message) })) } as MappingItem<K>;
}

/**
 * A mapping list read item by item (each item's reading remembered), or undefined when the text is
 * not a list of closed items that each read cleanly; the caller then reads the text as a whole.
 * Both ways give the same entries and problems (a property test holds them to it).
 */
export function readMappingsByItem<K extends MappingKind>(
  key: AwsAuthKey,
  kind: K,
  text: string,
  problems: Problems,
): MappingEntry<K>[] | undefined {
  const texts = closedListItems(text);
  if (texts === undefined) return undefined;
  const items: MappingItem<K>[] = [];
  for (const item of texts) {
    const read = readClosedItem(key, kind, item);
    if (read === null) return undefined;
    items.push(read);
  }
  return combineMappings(key, kind, items, problems);
}
