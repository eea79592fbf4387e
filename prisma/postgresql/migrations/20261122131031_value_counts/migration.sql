-- CreateTable
CREATE TABLE "ValueCount" (
    "propertyId" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "ValueCount_pkey" PRIMARY KEY ("propertyId","key")
);

-- CreateTable
CREATE TABLE "TypeCount" (
    "typeId" INTEGER NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "TypeCount_pkey" PRIMARY KEY ("typeId")
);
