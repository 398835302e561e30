import type { Progress } from '../output/progress.js';

/** Every page of a List RPC, following next_page_token, with progress after each page. */
export async function allPages<T>(
  fetch: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string }>,
  progress?: { progress: Progress; noun: string },
): Promise<T[]> {
  const out: T[] = [];
  let token = '';
  do {
    const page = await fetch(token);
    out.push(...page.items);
    token = page.nextPageToken;
    if (token !== '') progress?.progress.update(`fetched ${out.length} ${progress.noun}...`);
  } while (token !== '');
  progress?.progress.done();
  return out;
}
