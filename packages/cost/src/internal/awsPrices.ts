/**
 * AWS's published on-demand list prices (USD) for S3 and CloudFront in us-east-1 (N. Virginia)
 * and eu-central-1 (Frankfurt). Requests are per 1,000 (CloudFront per 10,000), storage per
 * GB-month, a GB being 2^30 bytes. CloudFront prices are those of the edge locations near the
 * region (United States/Mexico/Canada, Europe). Replace the whole table with a price file when
 * AWS changes a price or for another region (see the package README).
 */
// No import of PriceModel.ts (it imports this table): \`defaultPrices\` there checks the shape.

interface PriceTier {
  readonly upToGb: number | null
  readonly perGb: number
}

const KiB = 1024
const TB = 1024 // GB

const flat = (perGb: number): ReadonlyArray<PriceTier> => [{ upToGb: null, perGb }]
/** S3 Standard's volume steps: first 50 TB, next 450 TB, over 500 TB. */
const standardTiers = (first: number, next: number, over: number): ReadonlyArray<PriceTier> => [
  { upToGb: 50 * TB, perGb: first },
  { upToGb: 500 * TB, perGb: next },
  { upToGb: null, perGb: over }
]

const immediate = {
  retrievalPerGb: 0,
  minimumDays: 0,
  minimumBillableBytes: 0,
  overheadBytes: 0,
  standardOverheadBytes: 0
} as const
const infrequent = { minimumBillableBytes: 128 * KiB, overheadBytes: 0, standardOverheadBytes: 0 } as const
const archive = { minimumBillableBytes: 0, overheadBytes: 32 * KiB, standardOverheadBytes: 8 * KiB } as const

const dataTransferOut = {
  freeGb: 100,
  tiers: [
    { upToGb: 10 * TB, perGb: 0.09 },
    { upToGb: 50 * TB, perGb: 0.085 },
    { upToGb: 150 * TB, perGb: 0.07 },
    { upToGb: null, perGb: 0.05 }
  ]
}

const cloudFrontTiers: ReadonlyArray<PriceTier> = [
  { upToGb: 10 * TB, perGb: 0.085 },
  { upToGb: 50 * TB, perGb: 0.08 },
  { upToGb: 150 * TB, perGb: 0.06 },
  { upToGb: 500 * TB, perGb: 0.04 },
  { upToGb: 1024 * TB, perGb: 0.03 },
  { upToGb: 5 * 1024 * TB, perGb: 0.025 },
  { upToGb: null, perGb: 0.02 }
]

const usEast1Classes = {
  STANDARD: {
    storage: standardTiers(0.023, 0.022, 0.021),
    putPer1000: 0.005,
    getPer1000: 0.0004,
    transitionPer1000: 0,
    ...immediate
  },
  INTELLIGENT_TIERING: {
    storage: standardTiers(0.023, 0.022, 0.021),
    putPer1000: 0.005,
    getPer1000: 0.0004,
    transitionPer1000: 0.01,
    ...immediate
  },
  STANDARD_IA: {
    storage: flat(0.0125),
    putPer1000: 0.01,
    getPer1000: 0.001,
    transitionPer1000: 0.01,
    retrievalPerGb: 0.01,
    minimumDays: 30,
    ...infrequent
  },
  ONEZONE_IA: {
    storage: flat(0.01),
    putPer1000: 0.01,
    getPer1000: 0.001,
    transitionPer1000: 0.01,
    retrievalPerGb: 0.01,
    minimumDays: 30,
    ...infrequent
  },
  GLACIER_IR: {
    storage: flat(0.004),
    putPer1000: 0.02,
    getPer1000: 0.01,
    transitionPer1000: 0.02,
    retrievalPerGb: 0.03,
    minimumDays: 90,
    ...infrequent
  },
  GLACIER: {
    storage: flat(0.0036),
    putPer1000: 0.03,
    getPer1000: 0.0004,
    transitionPer1000: 0.03,
    retrievalPerGb: 0.01,
    minimumDays: 90,
    ...archive
  },
  DEEP_ARCHIVE: {
    storage: flat(0.00099),
    putPer1000: 0.05,
    getPer1000: 0.0004,
    transitionPer1000: 0.05,
    retrievalPerGb: 0.02,
    minimumDays: 180,
    ...archive
  }
}

const euCentral1Classes = {
  STANDARD: {
    storage: standardTiers(0.0245, 0.0235, 0.0225),
    putPer1000: 0.0054,
    getPer1000: 0.00043,
    transitionPer1000: 0,
    ...immediate
  },
  INTELLIGENT_TIERING: {
    storage: standardTiers(0.0245, 0.0235, 0.0225),
    putPer1000: 0.0054,
    getPer1000: 0.00043,
    transitionPer1000: 0.01,
    ...immediate
  },
  STANDARD_IA: {
    storage: flat(0.0135),
    putPer1000: 0.01,
    getPer1000: 0.001,
    transitionPer1000: 0.01,
    retrievalPerGb: 0.01,
    minimumDays: 30,
    ...infrequent
  },
  ONEZONE_IA: {
    storage: flat(0.0108),
    putPer1000: 0.01,
    getPer1000: 0.001,
    transitionPer1000: 0.01,
    retrievalPerGb: 0.01,
    minimumDays: 30,
    ...infrequent
  },
  GLACIER_IR: {
    storage: flat(0.005),
    putPer1000: 0.02,
    getPer1000: 0.01,
    transitionPer1000: 0.02,
    retrievalPerGb: 0.03,
    minimumDays: 90,
    ...infrequent
  },
  GLACIER: {
    storage: flat(0.0045),
    putPer1000: 0.036,
    getPer1000: 0.00043,
    transitionPer1000: 0.036,
    retrievalPerGb: 0.012,
    minimumDays: 90,
    ...archive
  },
  DEEP_ARCHIVE: {
    storage: flat(0.0018),
    putPer1000: 0.06,
    getPer1000: 0.00043,
    transitionPer1000: 0.06,
    retrievalPerGb: 0.024,
    minimumDays: 180,
    ...archive
  }
}

export const awsPrices = {
  currency: "USD" as const,
  effectiveDate: "2025-01-01",
  source:
    "AWS list prices from https://aws.amazon.com/s3/pricing/ and https://aws.amazon.com/cloudfront/pricing/ " +
    "(on-demand, S3 Standard volume steps, Glacier standard retrievals); transcribed 2026-12-02",
  regions: {
    "us-east-1": {
      storageClasses: usEast1Classes,
      intelligentTiering: {
        infrequentPerGb: 0.0125,
        archiveInstantPerGb: 0.004,
        archiveAccessPerGb: 0.0036,
        deepArchiveAccessPerGb: 0.00099,
        monitoringPer1000Objects: 0.0025,
        minimumMonitoredBytes: 128 * KiB
      },
      dataTransferOut,
      cloudFront: {
        freeGb: 1024,
        freeRequests: 10_000_000,
        tiers: cloudFrontTiers,
        httpsPer10000: 0.01,
        httpPer10000: 0.0075
      }
    },
    "eu-central-1": {
      storageClasses: euCentral1Classes,
      intelligentTiering: {
        infrequentPerGb: 0.0135,
        archiveInstantPerGb: 0.005,
        archiveAccessPerGb: 0.0045,
        deepArchiveAccessPerGb: 0.0018,
        monitoringPer1000Objects: 0.0025,
        minimumMonitoredBytes: 128 * KiB
      },
      dataTransferOut,
      cloudFront: {
        freeGb: 1024,
        freeRequests: 10_000_000,
        tiers: cloudFrontTiers,
        httpsPer10000: 0.012,
        httpPer10000: 0.009
      }
    }
  }
}
