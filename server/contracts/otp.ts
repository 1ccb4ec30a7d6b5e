import { z } from "zod";
import { messages } from "./fields.js";

/**
 * The seed service read these fields raw: no trimming, no length rules. Over
 * REST any problem with them answers one `{message}`; here they are plain
 * non-empty strings.
 */
const raw = () =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? messages.required : issue.input === null ? messages.null : messages.notString,
    })
    .min(1, { error: messages.blank });

export const otpRequestInput = z.object({ username: raw(), password: raw() });
export type OtpRequestInput = z.infer<typeof otpRequestInput>;

/** `otp` is text: a JSON number sent over REST is taken as its digits, as the seed service did. */
export const otpVerifyInput = z.object({ username: raw(), otp: raw() });
export type OtpVerifyInput = z.infer<typeof otpVerifyInput>;
