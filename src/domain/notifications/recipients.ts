// Recipient keys: one text column names a feed, "u:<userId>" (a user's own feed) or
// "c:<custom id>" (a custom recipient an integration addresses by its own identifier).
export type RecipientKey = string;

export const userRecipient = (userId: number): RecipientKey => `u:${userId}`;
export const customRecipient = (customId: string): RecipientKey => `c:${customId}`;

export function describeRecipient(key: RecipientKey): { user: number } | { customRecipient: string } {
  return key.startsWith('u:') ? { user: Number(key.slice(2)) } : { customRecipient: key.slice(2) };
}
