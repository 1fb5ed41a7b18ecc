import { DomainError } from '@app/domain';

/** A failure's name for logs and audit details: its code when it has one, never its message. */
export function errorName(error: unknown): string {
  if (error instanceof DomainError) return error.code;
  if (error instanceof Error) return (error as { code?: string }).code ?? error.name;
  return typeof error;
}
