import { type FormEvent, useState } from "react";

/** A form's submit handler around an async call: pending while it runs, the error if it failed. */
export function useAction<T>(action: (form: FormData) => Promise<T>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [result, setResult] = useState<T | undefined>(undefined);
  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setPending(true);
    setError(undefined);
    try {
      setResult(await action(new FormData(event.currentTarget)));
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };
  return { onSubmit, pending, error, result };
}

/** A text field of a submitted form. */
export const field = (form: FormData, name: string) => String(form.get(name) ?? "");
