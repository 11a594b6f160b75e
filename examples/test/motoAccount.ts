// An account of a test file's own on the local moto server, its key put in the environment
// before any service reads its settings (Effect reads the environment once per process).
import { createTestAccount, type TestAccount, testAws } from "@localex/local-aws"

/** The moto server and the file's account with `endpointVariable` pointing at it, or undefined when there is no moto. */
export const motoAccount = async (endpointVariable: "AWS_ENDPOINT_URL" | `AWS_ENDPOINT_URL_${string}`) => {
  const aws = testAws()
  if (!aws) return undefined
  const account: TestAccount = await createTestAccount(aws)
  process.env[endpointVariable] = aws.endpoint
  process.env.AWS_ACCESS_KEY_ID = account.accessKeyId
  process.env.AWS_SECRET_ACCESS_KEY = account.secretAccessKey
  process.env.AWS_REGION = aws.region
  return { aws, account }
}
